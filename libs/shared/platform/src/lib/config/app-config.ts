import { isIP } from 'node:net';
import { type Static, Type } from '@sinclair/typebox';
import Ajv from 'ajv';

/** Marks a value that must never reach a log line. */
export class Secret {
  constructor(private readonly value: string) {}
  reveal(): string {
    return this.value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
}

const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  M2M_DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  M2M_ADMIN_API_KEY: Type.Optional(Type.String({ minLength: 16, maxLength: 512, pattern: '^[\\x21-\\x7e]+$' })),
  M2M_CHALLENGE_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
  M2M_AUDIENCE: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[^;\\s]+$' })),
  M2M_LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  // auto: readable lines on a terminal, JSON otherwise.
  M2M_LOG_FORMAT: Type.Union(['auto', 'json', 'pretty'].map((format) => Type.Literal(format)), { default: 'auto' }),
  M2M_BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 10_485_760, default: 65_536 }),
  M2M_AUDIT_CHECKPOINT_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
  // The audit log's transparency-log checkpoints (docs/epcis.md): the origin line, and where each is published.
  M2M_AUDIT_LOG_ORIGIN: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\s+]+$' })),
  M2M_AUDIT_CHECKPOINT_PUBLISH_FILE: Type.Optional(Type.String({ minLength: 1 })),
  M2M_AUDIT_CHECKPOINT_PUBLISH_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  // EPCIS webhook subscriptions (docs/epcis.md): the hosts deliveries may go to, and the pause between attempts.
  M2M_EPCIS_WEBHOOK_HOSTS: Type.Optional(Type.String({ pattern: '^[^,\\s]+(,[^,\\s]+)*$' })),
  M2M_EPCIS_WEBHOOK_RETRY_MIN_MS: Type.Integer({ minimum: 1, maximum: 60_000, default: 500 }),
  M2M_EPCIS_WEBHOOK_RETRY_MAX_MS: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 60_000 }),
  // Access tokens and OAuth (docs/tokens.md).
  M2M_TOKEN_ISSUER: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  M2M_TOKEN_AUDIENCE: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^\\S+$' })),
  M2M_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 10, maximum: 86_400, default: 300 }),
  M2M_TOKEN_KEY_ROTATION_SECONDS: Type.Integer({ minimum: 60, maximum: 31_536_000, default: 86_400 }),
  M2M_CLIENT_ASSERTION_MAX_SECONDS: Type.Integer({ minimum: 10, maximum: 3_600, default: 300 }),
  // HTTP Message Signatures (RFC 9421): how old `created` may be, and how far ahead of the clock.
  M2M_SIGNATURE_MAX_AGE_SECONDS: Type.Integer({ minimum: 1, maximum: 3_600, default: 300 }),
  // The origin devices address and sign (`@target-uri`), or `listening`; checked further in publicUrlOf.
  M2M_PUBLIC_URL: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^\\S+$' })),
  // Abuse limits (docs/abuse-limits.md); 0 turns a limit off.
  M2M_RATE_LIMIT_DEVICE_PER_MINUTE: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 60 }),
  M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 600 }),
  M2M_RATE_LIMIT_API_KEY_PER_MINUTE: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 600 }),
  // Reverse proxies whose X-Forwarded-For names the client: addresses, CIDRs or proxy-addr's loopback/linklocal/uniquelocal.
  M2M_TRUST_PROXY: Type.Optional(Type.String({ pattern: '^[^,\\s]+(,[^,\\s]+)*$' })),
  // Retired with automatic lockout (docs/abuse-limits.md): accepted whatever their value, and a warning at start says so.
  M2M_LOCKOUT_THRESHOLD: Type.Optional(Type.String()),
  M2M_LOCKOUT_SECONDS: Type.Optional(Type.String()),
  M2M_LOCKOUT_MAX_SECONDS: Type.Optional(Type.String()),
  // No schema default: when unset it follows PORT (see loadConfig).
  GRPC_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  M2M_GRPC_TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  M2M_GRPC_TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  // Distributed mode (see docs/distributed.md): each process requires the ones it uses (requireDistributed).
  M2M_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  M2M_DATABASE_MIGRATION_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  M2M_DATABASE_SCHEMA: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$' })),
  M2M_KAFKA_BROKERS: Type.Optional(Type.String({ pattern: '^[^,\\s]+:[0-9]+(,[^,\\s]+:[0-9]+)*$' })),
  M2M_KAFKA_TOPIC_PREFIX: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9._-]{1,100}$' })),
  M2M_REGISTRY_GRPC_URL: Type.Optional(Type.String({ pattern: '^[^\\s/]+:[0-9]+$' })),
  M2M_CHALLENGE_GRPC_URL: Type.Optional(Type.String({ pattern: '^[^\\s/]+:[0-9]+$' })),
  M2M_AUDIT_GRPC_URL: Type.Optional(Type.String({ pattern: '^[^\\s/]+:[0-9]+$' })),
  M2M_AUDIT_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  M2M_CHALLENGE_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  M2M_REGISTRY_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  M2M_PROPAGATION_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000 }),
});
type Env = Static<typeof EnvSchema>;

/** The name of one environment variable of the schema. */
export type ConfigVariable = keyof Env;

/** Every environment variable any m2m-trust process reads (docker-compose.yml is checked against it). */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.keys(EnvSchema.properties) as ConfigVariable[];

export type LogFormat = 'auto' | 'json' | 'pretty';

/** Variables whose values are credentials (or carry them): named, never shown. */
const SECRET_VARIABLES: readonly ConfigVariable[] = ['M2M_ADMIN_API_KEY', 'M2M_DATABASE_URL', 'M2M_DATABASE_MIGRATION_URL'];

/** The variables of the schema set in `env`, as they were given (secrets as [redacted]): for the start's "configuration" line. */
export function configuredVariables(env: NodeJS.ProcessEnv = process.env): Partial<Record<ConfigVariable, string>> {
  const set = CONFIG_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '');
  return Object.fromEntries(set.map((name) => [name, SECRET_VARIABLES.includes(name) ? '[redacted]' : env[name]]));
}

export interface AppConfig {
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    /** M2M_TRUST_PROXY: the proxies trusted to name the client in X-Forwarded-For; empty: the socket's address is the client. */
    readonly trustProxy: readonly string[];
  };
  /** The gRPC API, on the same host as HTTP. */
  readonly grpc: {
    readonly port: number;
    /** PEM files of the server's certificate chain and private key; null: plaintext. */
    readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  };
  readonly dataDir: string;
  readonly adminApiKey: Secret | null;
  readonly challenge: {
    readonly ttlSeconds: number;
    /** M2M_AUDIENCE; null: the URL the server ends up listening on. */
    readonly audience: string | null;
  };
  readonly audit: {
    /** How often the chain head is signed when it has moved. */
    readonly checkpointSeconds: number;
    /** M2M_AUDIT_LOG_ORIGIN, else M2M_PUBLIC_URL's host[:port] when it names one; null: the service audience without its scheme. */
    readonly logOrigin: string | null;
    /** Where each new checkpoint note is published: appended to a file, POSTed to a URL. */
    readonly publish: { readonly file: string | null; readonly url: string | null };
    readonly webhooks: {
      /** M2M_EPCIS_WEBHOOK_HOSTS, lower case, IPv6 without brackets; null: any http(s) host. */
      readonly allowedHosts: readonly string[] | null;
      /** The first pause after a failed delivery, and the longest (doubling in between, with jitter). */
      readonly retryMinMs: number;
      readonly retryMaxMs: number;
    };
  };
  readonly tokens: TokenConfig;
  readonly signatures: {
    /** M2M_SIGNATURE_MAX_AGE_SECONDS: a signed request's `created` may be at most this old (or this far ahead). */
    readonly maxAgeSeconds: number;
    /** Where the target URI of a signed request comes from (docs/http-signatures.md); null: signed requests are refused. */
    readonly publicUrl: PublicUrl | null;
  };
  readonly abuse: AbuseConfig;
  readonly logLevel: string;
  /** M2M_LOG_FORMAT: auto (pretty on a terminal, JSON otherwise), json or pretty. */
  readonly logFormat: LogFormat;
  /** Distributed mode: all optional here; each service asks for what it needs with requireDistributed. */
  readonly distributed: DistributedConfig;
}

export interface TokenConfig {
  /** M2M_TOKEN_ISSUER: `iss` of access tokens and the OAuth metadata's issuer; null: the URL the server listens on. */
  readonly issuer: string | null;
  /** M2M_TOKEN_AUDIENCE: `aud` of access tokens; null: the issuer. */
  readonly audience: string | null;
  /** M2M_TOKEN_TTL_SECONDS: lifetime of an access token. */
  readonly ttlSeconds: number;
  /** M2M_TOKEN_KEY_ROTATION_SECONDS: how long one signing key signs before the next takes over. */
  readonly keyRotationSeconds: number;
  /** M2M_CLIENT_ASSERTION_MAX_SECONDS: the longest `exp - now` (and `exp - iat`) a client assertion may have. */
  readonly assertionMaxSeconds: number;
}

export interface AbuseConfig {
  /** Requests per minute on challenge, verify and token issuance; 0: no limit. */
  readonly rateLimits: {
    readonly devicePerMinute: number;
    readonly addressPerMinute: number;
    /** Management and audit calls per minute per API key. */
    readonly apiKeyPerMinute: number;
  };
}

export interface DistributedConfig {
  /** M2M_DATABASE_URL: the service's PostgreSQL, as the role it runs as. */
  readonly databaseUrl: Secret | null;
  /** M2M_DATABASE_MIGRATION_URL: the schema owner that applies migrations (default: databaseUrl). */
  readonly databaseMigrationUrl: Secret | null;
  /** M2M_DATABASE_SCHEMA: the service's own schema (default: its name). */
  readonly databaseSchema: string | null;
  /** M2M_KAFKA_BROKERS, comma-separated host:port. */
  readonly kafkaBrokers: readonly string[] | null;
  /** M2M_KAFKA_TOPIC_PREFIX: prefixes every topic and consumer group, so several deployments can share one cluster. */
  readonly kafkaTopicPrefix: string;
  /** M2M_REGISTRY_GRPC_URL, M2M_CHALLENGE_GRPC_URL (host:port) and M2M_AUDIT_URL: where a distributed gateway sends calls. */
  readonly registryGrpcUrl: string | null;
  readonly challengeGrpcUrl: string | null;
  readonly auditUrl: string | null;
  /** M2M_CHALLENGE_URL: the challenge service's HTTP API (tokens, OAuth, lockouts, /v1/me), which a distributed gateway passes through. */
  readonly challengeUrl: string | null;
  /** M2M_REGISTRY_URL: the registry service's HTTP API (/v1/api-keys), which a distributed gateway passes through. */
  readonly registryUrl: string | null;
  /** M2M_AUDIT_GRPC_URL (host:port): when set, a distributed gateway serves m2m.v1.Audit by passing calls through. */
  readonly auditGrpcUrl: string | null;
  /** M2M_PROPAGATION_TIMEOUT_MS: how long a gateway waits for a device change to reach the challenge service. */
  readonly propagationTimeoutMs: number;
}

const DISTRIBUTED_VARIABLES = {
  databaseUrl: 'M2M_DATABASE_URL',
  kafkaBrokers: 'M2M_KAFKA_BROKERS',
  registryGrpcUrl: 'M2M_REGISTRY_GRPC_URL',
  challengeGrpcUrl: 'M2M_CHALLENGE_GRPC_URL',
  auditUrl: 'M2M_AUDIT_URL',
  challengeUrl: 'M2M_CHALLENGE_URL',
  registryUrl: 'M2M_REGISTRY_URL',
} as const;

type Required<K extends keyof typeof DISTRIBUTED_VARIABLES> = { readonly [P in K]: NonNullable<DistributedConfig[P]> };

/** The distributed settings a process cannot start without, or a ConfigError naming every missing variable. */
export function requireDistributed<K extends keyof typeof DISTRIBUTED_VARIABLES>(config: AppConfig, keys: readonly K[]): DistributedConfig & Required<K> {
  const missing = keys.filter((key) => config.distributed[key] === null).map((key) => DISTRIBUTED_VARIABLES[key]);
  if (missing.length > 0) throw new ConfigError(`Invalid configuration: ${missing.join(', ')} must be set for this service`);
  return config.distributed as DistributedConfig & Required<K>;
}

export const APP_CONFIG = Symbol.for('m2m-trust.AppConfig');

export const DEFAULT_GRPC_PORT = 50051;

/**
 * The public origin devices sign for: M2M_PUBLIC_URL, else M2M_AUDIENCE when
 * it is an http(s) URL; `listening` (what `npm start` sets): the URL this
 * process listens on, known once it listens. Never the request's Host header.
 */
export type PublicUrl = { readonly kind: 'origin'; readonly origin: string } | { readonly kind: 'listening' };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * M2M_TRUST_PROXY as Fastify's trustProxy list. Only named proxies: trusting
 * any sender of X-Forwarded-For would let every client pick the address its
 * rate limit is counted under.
 */
function trustedProxies(value: string | undefined): readonly string[] {
  if (value === undefined) return [];
  const entries = value.split(',');
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 4 ? 32 : 128;
    const valid = PROXY_PRESETS.includes(entry) || (family !== 0 && extra === undefined && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits)));
    if (!valid) throw new ConfigError(`Invalid configuration: M2M_TRUST_PROXY: "${entry}" is no IP address, CIDR or one of ${PROXY_PRESETS.join(', ')}`);
  }
  return entries;
}

/** M2M_PUBLIC_URL (or else an http(s) M2M_AUDIENCE) as the origin signed requests name; see PublicUrl. */
function publicUrlOf(value: string | undefined, audience: string | undefined): PublicUrl | null {
  if (value === 'listening') return { kind: 'listening' };
  if (value === undefined) return audience !== undefined && /^https?:\/\//i.test(audience) && URL.canParse(audience) ? { kind: 'origin', origin: new URL(audience).origin } : null;
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.pathname !== '/' || url.search || url.hash || value.endsWith('?') || value.endsWith('#')) {
    throw new ConfigError(`Invalid configuration: M2M_PUBLIC_URL: "${value}" is no http(s) origin such as https://m2m.example.com (no path, query or credentials), nor "listening"`);
  }
  return { kind: 'origin', origin: url.origin };
}

/**
 * The checkpoint notes' origin when M2M_AUDIT_LOG_ORIGIN is not set: the
 * public URL without its scheme, so notes keep one name across restarts on
 * other ports. Not `listening` (that is whatever port this start got), and
 * not M2M_AUDIENCE's URL (the audience default keeps a path it may carry).
 */
function logOriginOf(publicUrl: string | undefined): string | null {
  const parsed = publicUrl === undefined ? null : publicUrlOf(publicUrl, undefined);
  return parsed?.kind === 'origin' ? new URL(parsed.origin).host : null;
}

/** M2M_EPCIS_WEBHOOK_HOSTS as host names compared with a URL's (lower case, IPv6 without its brackets). */
function webhookHosts(value: string | undefined): readonly string[] | null {
  if (value === undefined) return null;
  return value.split(',').map((host) => host.toLowerCase().replace(/^\[(.*)\]$/, '$1'));
}

/**
 * Reads the environment once, validates it and returns typed, nested config.
 * Nothing else in the code base reads process.env.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true });
  const validate = ajv.compile<Env>(EnvSchema);
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath.slice(1) || e.params['missingProperty']}: ${e.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const port = raw['PORT'] as number;
  const host = raw['HOST'] as string;
  const certFile = raw['M2M_GRPC_TLS_CERT_FILE'] as string | undefined;
  const keyFile = raw['M2M_GRPC_TLS_KEY_FILE'] as string | undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError('Invalid configuration: M2M_GRPC_TLS_CERT_FILE and M2M_GRPC_TLS_KEY_FILE are set together or not at all');
  }
  return {
    http: { host, port, bodyLimitBytes: raw['M2M_BODY_LIMIT_BYTES'] as number, trustProxy: trustedProxies(raw['M2M_TRUST_PROXY'] as string | undefined) },
    grpc: {
      // 50051 by default; but a start on any free HTTP port (PORT=0: tests, a second local instance)
      // takes any free gRPC port too, so such starts never collide on a fixed one.
      port: (raw['GRPC_PORT'] as number | undefined) ?? (port === 0 ? 0 : DEFAULT_GRPC_PORT),
      tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : null,
    },
    dataDir: raw['M2M_DATA_DIR'] as string,
    adminApiKey: raw['M2M_ADMIN_API_KEY'] ? new Secret(raw['M2M_ADMIN_API_KEY'] as string) : null,
    challenge: {
      ttlSeconds: raw['M2M_CHALLENGE_TTL_SECONDS'] as number,
      audience: (raw['M2M_AUDIENCE'] as string | undefined) ?? null,
    },
    audit: {
      checkpointSeconds: raw['M2M_AUDIT_CHECKPOINT_SECONDS'] as number,
      logOrigin: (raw['M2M_AUDIT_LOG_ORIGIN'] as string | undefined) ?? logOriginOf(raw['M2M_PUBLIC_URL'] as string | undefined),
      publish: {
        file: (raw['M2M_AUDIT_CHECKPOINT_PUBLISH_FILE'] as string | undefined) ?? null,
        url: (raw['M2M_AUDIT_CHECKPOINT_PUBLISH_URL'] as string | undefined) ?? null,
      },
      webhooks: {
        allowedHosts: webhookHosts(raw['M2M_EPCIS_WEBHOOK_HOSTS'] as string | undefined),
        retryMinMs: raw['M2M_EPCIS_WEBHOOK_RETRY_MIN_MS'] as number,
        retryMaxMs: Math.max(raw['M2M_EPCIS_WEBHOOK_RETRY_MIN_MS'] as number, raw['M2M_EPCIS_WEBHOOK_RETRY_MAX_MS'] as number),
      },
    },
    tokens: {
      issuer: (raw['M2M_TOKEN_ISSUER'] as string | undefined) ?? null,
      audience: (raw['M2M_TOKEN_AUDIENCE'] as string | undefined) ?? null,
      ttlSeconds: raw['M2M_TOKEN_TTL_SECONDS'] as number,
      keyRotationSeconds: raw['M2M_TOKEN_KEY_ROTATION_SECONDS'] as number,
      assertionMaxSeconds: raw['M2M_CLIENT_ASSERTION_MAX_SECONDS'] as number,
    },
    signatures: {
      maxAgeSeconds: raw['M2M_SIGNATURE_MAX_AGE_SECONDS'] as number,
      publicUrl: publicUrlOf(raw['M2M_PUBLIC_URL'] as string | undefined, raw['M2M_AUDIENCE'] as string | undefined),
    },
    abuse: {
      rateLimits: {
        devicePerMinute: raw['M2M_RATE_LIMIT_DEVICE_PER_MINUTE'] as number,
        addressPerMinute: raw['M2M_RATE_LIMIT_ADDRESS_PER_MINUTE'] as number,
        apiKeyPerMinute: raw['M2M_RATE_LIMIT_API_KEY_PER_MINUTE'] as number,
      },
    },
    logLevel: raw['M2M_LOG_LEVEL'] as string,
    logFormat: raw['M2M_LOG_FORMAT'] as LogFormat,
    distributed: {
      databaseUrl: raw['M2M_DATABASE_URL'] ? new Secret(raw['M2M_DATABASE_URL'] as string) : null,
      databaseMigrationUrl: raw['M2M_DATABASE_MIGRATION_URL'] ? new Secret(raw['M2M_DATABASE_MIGRATION_URL'] as string) : null,
      databaseSchema: (raw['M2M_DATABASE_SCHEMA'] as string | undefined) ?? null,
      kafkaBrokers: raw['M2M_KAFKA_BROKERS'] ? (raw['M2M_KAFKA_BROKERS'] as string).split(',') : null,
      kafkaTopicPrefix: (raw['M2M_KAFKA_TOPIC_PREFIX'] as string | undefined) ?? '',
      registryGrpcUrl: (raw['M2M_REGISTRY_GRPC_URL'] as string | undefined) ?? null,
      challengeGrpcUrl: (raw['M2M_CHALLENGE_GRPC_URL'] as string | undefined) ?? null,
      auditUrl: (raw['M2M_AUDIT_URL'] as string | undefined) ?? null,
      challengeUrl: (raw['M2M_CHALLENGE_URL'] as string | undefined) ?? null,
      registryUrl: (raw['M2M_REGISTRY_URL'] as string | undefined) ?? null,
      auditGrpcUrl: (raw['M2M_AUDIT_GRPC_URL'] as string | undefined) ?? null,
      propagationTimeoutMs: raw['M2M_PROPAGATION_TIMEOUT_MS'] as number,
    },
  };
}
