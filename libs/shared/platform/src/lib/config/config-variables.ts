import { distance } from 'fastest-levenshtein';

import type { ConfigVariable } from './app-config';

/** The processes of the distributed mode (apps/*). The embedded default is the gateway alone. */
export const PROCESSES = ['gateway', 'registry-service', 'challenge-service', 'audit-service'] as const;
export type ProcessName = (typeof PROCESSES)[number];

/**
 * What `npm run start:distributed` (tools/scripts/start-distributed.mjs) does
 * with the operator's value of a variable:
 * - forward: passes it on, as it is, to every process that reads it;
 * - owns: the launcher sets the variable of each process itself, from the
 *   operator's value as `note` says;
 * - refuses: the launcher wires this itself; setting it stops the start
 *   (exit code 2) with `note`, rather than silently using something else.
 */
export type LauncherRule =
  | { readonly kind: 'forward'; readonly to?: readonly ProcessName[] }
  | { readonly kind: 'owns'; readonly note: string }
  | { readonly kind: 'refuses'; readonly note: string };

export interface VariableUse {
  /** Read by the embedded default (`npm start`: the gateway on SQLite). */
  readonly embedded: boolean;
  /** The processes of the distributed mode that read it. */
  readonly distributed: readonly ProcessName[];
  readonly launcher: LauncherRule;
  /** The value when unset, as the docs say it. */
  readonly default: string;
  readonly meaning: string;
}

const RETIRED_LOCKOUT =
  'retired: failed authentications no longer lock a device (an operator locks it by hand, `POST /v1/devices/{id}/lock`); still accepted, with a warning at start';

const ALL = PROCESSES;
const SERVICES: readonly ProcessName[] = ['registry-service', 'challenge-service', 'audit-service'];
const CHALLENGE: readonly ProcessName[] = ['challenge-service'];
const GATEWAY: readonly ProcessName[] = ['gateway'];
const forward: LauncherRule = { kind: 'forward' };
const wired = (what: string): LauncherRule => ({
  kind: 'refuses',
  note: `start:distributed ${what} itself; unset it (to wire the processes yourself, start dist/apps/*/src/main.js with your own environment: docs/distributed.md)`,
});

/**
 * Which process reads which variable, for every variable of the schema (the
 * type makes a new variable without an entry a compile error). The launcher's
 * forwarding (tools/scripts/cluster.cjs), the configuration tables of the
 * README and docs/distributed.md (tools/scripts/config-docs.mjs) and the
 * configuration suite (e2e/distributed/configuration.e2e-spec.ts) all come from here.
 */
export const VARIABLE_USES: { readonly [K in ConfigVariable]-?: VariableUse } = {
  PORT: {
    embedded: true,
    distributed: ALL,
    launcher: { kind: 'owns', note: "the gateway's port (`0`: any free one); the services listen on free loopback ports" },
    default: '`8080` (`0`: any free port)',
    meaning: 'HTTP port',
  },
  HOST: {
    embedded: true,
    distributed: ALL,
    launcher: { kind: 'owns', note: "the gateway's address; the services listen on 127.0.0.1" },
    default: '`127.0.0.1`',
    meaning: 'address to listen on; `0.0.0.0` to serve the network',
  },
  GRPC_PORT: {
    embedded: true,
    distributed: ALL,
    launcher: { kind: 'owns', note: "the gateway's gRPC port; the services' are free loopback ports" },
    default: '`50051` (`0` when `PORT=0`)',
    meaning: 'gRPC port on `HOST`',
  },
  M2M_DATA_DIR: {
    embedded: true,
    distributed: ALL,
    launcher: { kind: 'owns', note: 'the base directory: the generated admin key in it, each process in a subdirectory of its own' },
    default: '`./data`',
    meaning:
      'SQLite files (`m2m-trust.sqlite`: events and read models; `audit.sqlite`: the EPCIS audit log), the generated admin API key and the audit signing key (`audit-signing-key.pem`)',
  },
  M2M_ADMIN_API_KEY: {
    embedded: true,
    distributed: ALL,
    launcher: { kind: 'owns', note: 'the same key for all four processes; when unset, generated once into `M2M_DATA_DIR/admin-api-key`' },
    default: 'generated',
    meaning: 'admin API key (16–512 printable characters); when unset, generated on first start into `M2M_DATA_DIR/admin-api-key` (mode 0600) and printed once',
  },
  M2M_CHALLENGE_TTL_SECONDS: { embedded: true, distributed: CHALLENGE, launcher: forward, default: '`60`', meaning: 'how long a challenge can be verified (1–3600)' },
  M2M_AUDIENCE: {
    embedded: true,
    distributed: ['challenge-service', 'audit-service'],
    launcher: { kind: 'forward' },
    default: 'the URL it listens on (start:distributed: the gateway\'s)',
    meaning:
      'the service name bound into every challenge and signed request, and the issuer of audit checkpoints and exports (no `;` or spaces); set it to the public URL devices use',
  },
  M2M_LOG_LEVEL: {
    embedded: true,
    distributed: ALL,
    launcher: forward,
    default: '`info`',
    meaning: '`fatal`, `error`, `warn`, `info` (one access line per request), `debug` (and the effective configuration at start), `trace`, `silent`',
  },
  M2M_LOG_FORMAT: {
    embedded: true,
    distributed: ALL,
    launcher: { kind: 'owns', note: 'the processes write JSON to the launcher, which shows their lines in this format' },
    default: '`auto`',
    meaning: '`pretty`: readable lines; `json`: one JSON object a line; `auto`: pretty when standard output is a terminal, JSON otherwise',
  },
  M2M_BODY_LIMIT_BYTES: { embedded: true, distributed: ALL, launcher: forward, default: '`65536`', meaning: 'largest request body (and gRPC message)' },
  M2M_AUDIT_CHECKPOINT_SECONDS: {
    embedded: true,
    distributed: ['audit-service'],
    launcher: forward,
    default: '`60`',
    meaning: 'how often the audit chain head is signed when it has moved',
  },
  M2M_AUDIT_LOG_ORIGIN: {
    embedded: true,
    distributed: ['audit-service'],
    launcher: forward,
    default: '`M2M_PUBLIC_URL` without its scheme when it is a URL (not `listening`), else the service audience without its scheme (e.g. `localhost:3000`)',
    meaning: "the origin line of the audit log's checkpoint notes and the name of their verifier key (no spaces, no `+`)",
  },
  M2M_AUDIT_CHECKPOINT_PUBLISH_FILE: {
    embedded: true,
    distributed: ['audit-service'],
    launcher: forward,
    default: 'unset: not published to a file',
    meaning: 'a file each new audit checkpoint note is appended to as it is signed',
  },
  M2M_AUDIT_CHECKPOINT_PUBLISH_URL: {
    embedded: true,
    distributed: ['audit-service'],
    launcher: forward,
    default: 'unset: not published to a URL',
    meaning: 'a URL each new audit checkpoint note is POSTed to (`text/plain`), retried with backoff, never holding up the log',
  },
  M2M_EPCIS_WEBHOOK_HOSTS: {
    embedded: true,
    distributed: ['audit-service'],
    launcher: forward,
    default: 'unset: any host',
    meaning: 'the hosts EPCIS webhook subscriptions may deliver to (comma-separated names or IP addresses; `dest` must be http or https either way)',
  },
  M2M_EPCIS_WEBHOOK_RETRY_MIN_MS: {
    embedded: true,
    distributed: ['audit-service'],
    launcher: forward,
    default: '`500`',
    meaning: 'first pause before an EPCIS webhook delivery is tried again (doubling, with jitter)',
  },
  M2M_EPCIS_WEBHOOK_RETRY_MAX_MS: {
    embedded: true,
    distributed: ['audit-service'],
    launcher: forward,
    default: '`60000`',
    meaning: 'longest pause between attempts of an EPCIS webhook delivery',
  },
  M2M_TOKEN_ISSUER: {
    embedded: true,
    distributed: CHALLENGE,
    launcher: forward,
    default: 'the URL it listens on (start:distributed: the gateway\'s)',
    meaning: '`iss` of access tokens and the OAuth issuer; set it to the public URL',
  },
  M2M_TOKEN_AUDIENCE: { embedded: true, distributed: CHALLENGE, launcher: forward, default: 'the issuer', meaning: '`aud` of access tokens' },
  M2M_TOKEN_TTL_SECONDS: { embedded: true, distributed: CHALLENGE, launcher: forward, default: '`300`', meaning: 'access-token lifetime (10–86400)' },
  M2M_TOKEN_KEY_ROTATION_SECONDS: {
    embedded: true,
    distributed: CHALLENGE,
    launcher: forward,
    default: '`86400`',
    meaning: 'how long one token-signing key signs before the next takes over',
  },
  M2M_CLIENT_ASSERTION_MAX_SECONDS: {
    embedded: true,
    distributed: CHALLENGE,
    launcher: forward,
    default: '`300`',
    meaning: 'the longest a client assertion (`private_key_jwt`) may still be valid for',
  },
  M2M_SIGNATURE_MAX_AGE_SECONDS: {
    embedded: true,
    distributed: CHALLENGE,
    launcher: forward,
    default: '`300`',
    meaning: "how old (or how far ahead) an RFC 9421 signature's `created` may be",
  },
  M2M_PUBLIC_URL: {
    embedded: true,
    distributed: ['challenge-service', 'audit-service'],
    launcher: forward,
    default: '`M2M_AUDIENCE` when it is an http(s) URL, else none: signed requests are refused (503 `PUBLIC_URL_NOT_CONFIGURED`); `npm start` sets `listening`; `start:distributed` sets `M2M_AUDIENCE` to the gateway URL, so the fallback applies',
    meaning:
      "the origin (`https://host[:port]`, no path) devices address: the `@target-uri` of RFC 9421 signatures, never the `Host` header; `listening`: the URL the process listens on (local use, no proxy in front); a URL also names the audit log's checkpoint notes unless `M2M_AUDIT_LOG_ORIGIN` does",
  },
  M2M_RATE_LIMIT_DEVICE_PER_MINUTE: {
    embedded: true,
    distributed: CHALLENGE,
    launcher: forward,
    default: '`60`',
    meaning: 'challenges, verifies and token requests per device per minute (`0`: no limit; docs/abuse-limits.md)',
  },
  M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: {
    embedded: true,
    distributed: GATEWAY,
    launcher: forward,
    default: '`600`',
    meaning: 'challenge, verify and token requests per client address per minute (`0`: no limit)',
  },
  M2M_RATE_LIMIT_API_KEY_PER_MINUTE: {
    embedded: true,
    distributed: ['gateway', 'audit-service'],
    launcher: forward,
    default: '`600`',
    meaning: 'management and audit calls per API key per minute (`0`: no limit)',
  },
  M2M_TRUST_PROXY: {
    embedded: true,
    distributed: GATEWAY,
    launcher: forward,
    default: 'unset',
    meaning: 'reverse proxies whose `X-Forwarded-For` names the client: addresses, CIDRs, `loopback`, `linklocal`, `uniquelocal` (comma-separated)',
  },
  M2M_LOCKOUT_THRESHOLD: { embedded: true, distributed: CHALLENGE, launcher: forward, default: 'unset', meaning: RETIRED_LOCKOUT },
  M2M_LOCKOUT_SECONDS: { embedded: true, distributed: CHALLENGE, launcher: forward, default: 'unset', meaning: RETIRED_LOCKOUT },
  M2M_LOCKOUT_MAX_SECONDS: { embedded: true, distributed: CHALLENGE, launcher: forward, default: 'unset', meaning: RETIRED_LOCKOUT },
  M2M_GRPC_TLS_CERT_FILE: {
    embedded: true,
    distributed: ALL,
    launcher: { kind: 'forward', to: GATEWAY },
    default: 'unset',
    meaning: 'serve gRPC over TLS: the PEM certificate chain (with `M2M_GRPC_TLS_KEY_FILE`; start:distributed: the gateway\'s public gRPC)',
  },
  M2M_GRPC_TLS_KEY_FILE: {
    embedded: true,
    distributed: ALL,
    launcher: { kind: 'forward', to: GATEWAY },
    default: 'unset',
    meaning: "the PEM private key of `M2M_GRPC_TLS_CERT_FILE` (both or neither)",
  },
  M2M_DATABASE_URL: {
    embedded: false,
    distributed: ALL,
    launcher: { kind: 'owns', note: 'the PostgreSQL of all four (the audit service as role `m2m_audit`); default the one `npm run infra:up` runs' },
    default: 'required (gateway: optional, where rate limits count)',
    meaning: "the process's PostgreSQL; the gateway's rate limits count there so every gateway holds the same budgets",
  },
  M2M_DATABASE_MIGRATION_URL: {
    embedded: false,
    distributed: ALL,
    launcher: wired('runs the audit service as role `m2m_audit` and migrates as the owner'),
    default: '`M2M_DATABASE_URL`',
    meaning: 'the schema owner that applies migrations, when the process runs as a role with fewer rights',
  },
  M2M_DATABASE_SCHEMA: {
    embedded: false,
    distributed: ALL,
    launcher: wired('names the four schemas (`registry`, `challenge`, `audit`, `gateway`; `--schema-prefix` prefixes them)'),
    default: "the process's name (`registry`, `challenge`, `audit`, `gateway`)",
    meaning: "the process's own PostgreSQL schema",
  },
  M2M_KAFKA_BROKERS: {
    embedded: false,
    distributed: SERVICES,
    launcher: { kind: 'owns', note: 'the brokers of the three services; default the one `npm run infra:up` runs' },
    default: 'required',
    meaning: 'Kafka brokers, comma-separated `host:port`',
  },
  M2M_KAFKA_TOPIC_PREFIX: {
    embedded: false,
    distributed: SERVICES,
    launcher: forward,
    default: 'none',
    meaning: 'prefixes every topic and consumer group, so several deployments (or test runs) share one Kafka cluster',
  },
  M2M_REGISTRY_GRPC_URL: {
    embedded: false,
    distributed: ['gateway', 'challenge-service', 'audit-service'],
    launcher: wired('connects the processes'),
    default: 'required',
    meaning: "the registry service's gRPC `host:port` (devices; every managed API key is checked there); on the gateway it makes the gateway distributed",
  },
  M2M_CHALLENGE_GRPC_URL: {
    embedded: false,
    distributed: GATEWAY,
    launcher: wired('connects the processes'),
    default: 'required',
    meaning: "the challenge service's gRPC `host:port`",
  },
  M2M_AUDIT_GRPC_URL: {
    embedded: false,
    distributed: GATEWAY,
    launcher: wired('connects the processes'),
    default: 'unset: no gRPC `m2m.v1.Audit` at the gateway',
    meaning: "the audit service's gRPC `host:port`, to serve `m2m.v1.Audit` through the gateway",
  },
  M2M_AUDIT_URL: {
    embedded: false,
    distributed: GATEWAY,
    launcher: wired('connects the processes'),
    default: 'required',
    meaning: "the audit service's HTTP URL (`/epcis/*` passed through)",
  },
  M2M_CHALLENGE_URL: {
    embedded: false,
    distributed: GATEWAY,
    launcher: wired('connects the processes'),
    default: 'required',
    meaning: "the challenge service's HTTP URL (tokens, OAuth, `/v1/me`, lockouts passed through)",
  },
  M2M_REGISTRY_URL: {
    embedded: false,
    distributed: GATEWAY,
    launcher: wired('connects the processes'),
    default: 'required',
    meaning: "the registry service's HTTP URL (`/v1/api-keys` passed through)",
  },
  M2M_PROPAGATION_TIMEOUT_MS: {
    embedded: false,
    distributed: GATEWAY,
    launcher: forward,
    default: '`5000`',
    meaning: 'how long the gateway waits for a device change to reach the challenge service before answering 503',
  },
};

/**
 * M2M_* names that other parts of m2m-trust read (the CLI and SDK examples,
 * the test and infrastructure scripts): set in a shell that also starts a
 * server, they are no typo.
 */
export const OTHER_M2M_VARIABLES: readonly string[] = [
  'M2M_URL',
  'M2M_API_KEY',
  'M2M_TIMEOUT_MS',
  'M2M_CONFIG',
  'M2M_GRPC_URL',
  'M2M_TEST_DATABASE_URL',
  'M2M_TEST_KAFKA_BROKERS',
  'M2M_TEST_PID_DIR',
  'M2M_TEST_TIMEOUT_SCALE',
  'M2M_FIXTURE_DIR',
  'M2M_INFRA_DIR',
  'M2M_PG_BIN',
  'M2M_TRUST_SERVER_MAIN',
  'M2M_BENCH_PROFILE_DIR',
];

export interface UnknownVariable {
  readonly name: string;
  /** The closest known name, when it is close enough to be a typo. */
  readonly suggestion: string | null;
}

const KNOWN: readonly string[] = Object.keys(VARIABLE_USES);

/** Every M2M_* variable in `env` that no part of m2m-trust reads, each with the known name it is probably a typo of. */
export function unknownVariables(env: Readonly<Record<string, string | undefined>> = process.env): UnknownVariable[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('M2M_') && !KNOWN.includes(name) && !OTHER_M2M_VARIABLES.includes(name))
    .sort()
    .map((name) => {
      // A known name with a word more or less (M2M_AUDIENCE_URL), else the nearest within a fifth of the name
      // (at least 2 edits): a dropped or swapped letter, not another word.
      const extended = KNOWN.find((known) => name.startsWith(`${known}_`) || known.startsWith(`${name}_`));
      const [best] = KNOWN.map((known) => ({ known, cost: distance(name, known) })).sort((a, b) => a.cost - b.cost);
      const near = best && best.cost <= Math.max(2, Math.floor(name.length / 5)) ? best.known : null;
      return { name, suggestion: extended ?? near };
    });
}

/** "unknown variable M2M_X (did you mean M2M_Y?); it is ignored". */
export const unknownVariableMessage = ({ name, suggestion }: UnknownVariable): string =>
  `unknown variable ${name}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; it is ignored`;

/**
 * Variables still accepted that no longer change anything, with what the process says at start when one is set: an
 * operator who relied on one must hear that it is gone, not find out from the behaviour.
 */
const RETIRED: Partial<Record<ConfigVariable, string>> = {
  M2M_LOCKOUT_THRESHOLD: 'automatic lockout is gone',
  M2M_LOCKOUT_SECONDS: 'automatic lockout is gone',
  M2M_LOCKOUT_MAX_SECONDS: 'automatic lockout is gone',
};

/** "M2M_LOCKOUT_THRESHOLD is set, but has no effect: automatic lockout is gone (docs/abuse-limits.md)", per retired variable set in `env`. */
export function retiredVariableWarnings(env: Readonly<Record<string, string | undefined>> = process.env): { variable: string; message: string }[] {
  return Object.entries(RETIRED)
    .filter(([variable]) => (env[variable] ?? '') !== '')
    .map(([variable, why]) => ({
      variable,
      message: `${variable} is set, but has no effect: ${why}; failed authentications are audited and counted, and an operator locks a device with POST /v1/devices/{id}/lock (docs/abuse-limits.md)`,
    }));
}
