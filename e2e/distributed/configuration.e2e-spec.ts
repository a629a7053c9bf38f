// Configuration the operator sets is configuration the system uses: every
// variable of the schema has a row here, proven in each mode whose processes
// read it (VARIABLE_USES): the embedded default as `npm start` runs it, and the
// distributed mode as `npm run start:distributed` runs it (the launcher script
// itself). One start per mode carries every setting at a non-default value.
//
// Each row observes the setting's effect through the public API where one
// shows from outside. Where none does in a test's time (the token key
// rotation, the longest lock, the gateway's propagation wait, the log format),
// the process's own "configuration" line (M2M_LOG_LEVEL=debug) shows the
// value it runs with, or the row names the suite that proves it.
import { signClientAssertion, signRequest } from '@m2m-trust/sdk';
import { eventually } from '@m2m-trust/shared-domain/testing';
import { CONFIG_VARIABLES, type ConfigVariable, PROCESSES, type ProcessName, VARIABLE_USES } from '@m2m-trust/shared-platform';

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

import { freePort } from '../../tools/scripts/cluster.cjs';
import { GrpcApi } from '../grpc-client';
import { Api, type Device, newDevice, register } from '../support/client';
import { logsOf, type RunningLauncher, startLauncher, TEST_DATABASE_URL, TEST_KAFKA_BROKERS } from '../support/launcher';
import { type RunningServer, startServer } from '../support/server';

type Mode = 'embedded' | 'distributed';

const ADMIN_KEY = `config-admin-key-${randomBytes(12).toString('hex')}`;
const AUDIENCE = 'https://audience.config.test';
const LOG_ORIGIN = 'audit.config.test/log';
const ISSUER = 'https://issuer.config.test';
/** What devices sign requests for (RFC 9421), unlike AUDIENCE: proves M2M_PUBLIC_URL wins over M2M_AUDIENCE's URL. */
const PUBLIC_URL = 'https://public.config.test';
/** Not 127.0.0.1: a process that ignored HOST would not be found here. */
const HOST = '127.0.0.2';

interface Target {
  readonly mode: Mode;
  readonly url: string;
  readonly grpcPort: number;
  readonly dataDir: string;
  readonly settings: Readonly<Record<string, string>>;
  output(): string;
  /** The distributed run (schema and topic prefixes); null in the embedded mode. */
  readonly launcher: RunningLauncher | null;
}

/** The app name of each process's log lines; the embedded default is the gateway. */
const processesOf = (mode: Mode, variable: ConfigVariable): readonly ProcessName[] => {
  const use = VARIABLE_USES[variable];
  if (mode === 'embedded') return use.embedded ? ['gateway'] : [];
  return use.launcher.kind === 'forward' ? (use.launcher.to ?? use.distributed) : use.distributed;
};

/** The process's "configuration" line: what was set, and the effective configuration. */
function configurationOf(target: Target, app: ProcessName): { settings: Record<string, string>; config: Record<string, Record<string, unknown>> } {
  const line = logsOf(target.output(), app).find((entry) => entry['msg'] === 'configuration');
  if (!line) throw new Error(`no configuration line from ${app}:\n${target.output().slice(-3000)}`);
  return line as unknown as ReturnType<typeof configurationOf>;
}

/** A client whose challenge, verify and token calls count under an address of their own (M2M_TRUST_PROXY=loopback). */
let nextAddress = 1;
const fromOwnAddress = (target: Target, key: string | null = null): { api: Api; address: string; headers: Record<string, string> } => {
  const address = `198.51.100.${nextAddress++}`;
  return { api: new Api(target.url, key), address, headers: { 'x-forwarded-for': address } };
};

async function registered(target: Target, prefix: string): Promise<Device> {
  const device = newDevice(prefix);
  const answer = await register(new Api(target.url, ADMIN_KEY), device);
  if (answer.status !== 201) throw new Error(`registration answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return device;
}

const pemOf = (device: Device): string => device.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const claimsOf = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;

async function tokenRequest(target: Target, device: Device, lifetimeSeconds: number, headers: Record<string, string>): Promise<Response> {
  const assertion = await signClientAssertion({ deviceId: device.deviceId, privateKey: pemOf(device), audience: ISSUER, lifetimeSeconds });
  return fetch(`${target.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }),
  });
}

/**
 * A retired variable: the process that read it warns at start that it has no effect; and two failed authentications
 * (the threshold the suite sets) leave the device able to authenticate.
 */
const retired =
  (variable: ConfigVariable): Proof =>
  async (target) => {
    const app = target.mode === 'embedded' ? 'gateway' : 'challenge-service';
    const warning = logsOf(target.output(), app).find((line) => line['variable'] === variable);
    expect(warning?.['msg']).toMatch(new RegExp(`^${variable} is set, but has no effect: automatic lockout is gone`));
    const device = await registered(target, 'retired');
    const { api, headers } = fromOwnAddress(target);
    const attempt = async (signature: (nonce: string) => string) => {
      const challenge = await api.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: device.deviceId }, headers);
      return (await api.post('/v1/challenges/verify', { challengeId: challenge.body.id, signature: signature(challenge.body.nonce) }, headers)).body;
    };
    for (let i = 0; i < 2; i++) expect(await attempt(() => '00'.repeat(64))).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
    expect(await attempt((nonce) => device.signHex(nonce))).toMatchObject({ verified: true });
  };

/** How each variable is proven; `null` for a mode whose processes do not read it. */
type Proof = (target: Target) => Promise<void>;
interface Row {
  readonly embedded: Proof | null;
  readonly distributed: Proof | null;
}
const both = (proof: Proof): Row => ({ embedded: proof, distributed: proof });
const distributedOnly = (proof: Proof): Row => ({ embedded: null, distributed: proof });

/** The value the process runs with, from its configuration line, for settings with no effect a test can wait for. */
const effective =
  (app: ProcessName, path: readonly string[], expected: unknown): Proof =>
  async (target) => {
    let value: unknown = configurationOf(target, target.mode === 'embedded' ? 'gateway' : app).config;
    for (const key of path) value = (value as Record<string, unknown>)[key];
    expect(value).toEqual(expected);
  };

/** start:distributed wires this variable itself: setting it stops the start with a line naming it, exit code 2. */
const refusedByLauncher = (variable: ConfigVariable, value: string): Proof => async () => {
  const run = await startLauncherExpectingExit({ [variable]: value });
  expect(run.code).toBe(2);
  expect(run.output).toContain(`${variable} is set, but start:distributed`);
};

async function startLauncherExpectingExit(env: Record<string, string>): Promise<{ code: number | string | null; output: string }> {
  try {
    const running = await startLauncher(env, { timeoutMs: 30_000 });
    await running.stop();
    return { code: 'started', output: running.output() };
  } catch (error) {
    const text = String((error as Error).message);
    const code = /exited with (\S+) before/.exec(text)?.[1];
    return { code: code === undefined ? null : Number.isNaN(Number(code)) ? code : Number(code), output: text };
  }
}

const ROWS: { readonly [K in ConfigVariable]: Row } = {
  PORT: both(async (target) => expect(new URL(target.url).port).toBe(target.settings['PORT'])),
  HOST: both(async (target) => expect(new URL(target.url).hostname).toBe(HOST)),
  GRPC_PORT: both(async (target) => {
    // Over TLS (the TLS rows): the health service answers on HOST:GRPC_PORT.
    const cert = readFileSync(target.settings['M2M_GRPC_TLS_CERT_FILE']!);
    const grpc = new GrpcApi(`${HOST}:${target.grpcPort}`, ADMIN_KEY, credentials.createSsl(cert));
    try {
      expect(await grpc.checkHealth()).toMatchObject({ status: 'SERVING' });
    } finally {
      grpc.close();
    }
  }),
  M2M_DATA_DIR: {
    embedded: async (target) => {
      expect(existsSync(join(target.dataDir, 'm2m-trust.sqlite'))).toBe(true);
      expect(existsSync(join(target.dataDir, 'audit-signing-key.pem'))).toBe(true);
    },
    // Each process in a directory of its own under it; the audit service keeps its signing key there.
    distributed: async (target) => expect(existsSync(join(target.dataDir, 'audit', 'audit-signing-key.pem'))).toBe(true),
  },
  M2M_ADMIN_API_KEY: both(async (target) => {
    const admin = new Api(target.url, ADMIN_KEY);
    // Each answered by another process in the distributed mode: gateway, registry, audit service.
    for (const path of ['/v1/devices', '/v1/api-keys', '/epcis/eventTypes']) expect({ path, status: (await admin.get(path)).status }).toEqual({ path, status: 200 });
    expect((await new Api(target.url, 'not-the-admin-key-0123456789').get('/v1/devices')).status).toBe(401);
  }),
  M2M_CHALLENGE_TTL_SECONDS: both(async (target) => {
    const device = await registered(target, 'ttl');
    const { api, headers } = fromOwnAddress(target);
    const before = Date.now();
    const challenge = await api.post<{ expiresAt: string }>('/v1/challenges', { deviceId: device.deviceId }, headers);
    const after = Date.now();
    expect(challenge.status).toBe(201);
    // 123 s (the default is 300) from when it was issued, somewhere between the request and its answer.
    const expiresAt = Date.parse(challenge.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 123_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 123_000);
  }),
  M2M_AUDIENCE: both(async (target) => {
    const device = await registered(target, 'aud');
    const { api, headers } = fromOwnAddress(target);
    const challenge = await api.post<{ nonce: string }>('/v1/challenges', { deviceId: device.deviceId }, headers);
    expect(challenge.body.nonce).toContain(`;aud=${AUDIENCE};`);
    // The audit service signs its checkpoints as the same public service (the M2M_AUDIT_CHECKPOINT_SECONDS row waits for one).
  }),
  M2M_AUDIT_CHECKPOINT_SECONDS: both(async (target) => {
    await registered(target, 'checkpoint');
    // Signed within a second or two of the head moving; the default (60 s) would sign none within this wait.
    const latest = await eventually('a signed checkpoint', async () => {
      const answer = await new Api(target.url, null).get<{ jws?: string }>('/epcis/checkpoints/latest');
      return answer.status === 200 && answer;
    });
    expect(claimsOf(latest.body.jws ?? '')).toMatchObject({ iss: AUDIENCE });
  }),
  M2M_AUDIT_LOG_ORIGIN: both(async (target) => {
    await registered(target, 'origin');
    const note = await eventually('a checkpoint note', async () => {
      const answer = await new Api(target.url, null).get<string>('/epcis/checkpoints/latest/note');
      return answer.status === 200 && String(answer.body);
    });
    expect(note.split('\n')[0]).toBe(LOG_ORIGIN);
  }),
  M2M_AUDIT_CHECKPOINT_PUBLISH_FILE: both(async (target) => {
    await registered(target, 'publish');
    const published = await eventually('a published note', async () => {
      const text = existsSync(target.settings['M2M_AUDIT_CHECKPOINT_PUBLISH_FILE'] as string) ? readFileSync(target.settings['M2M_AUDIT_CHECKPOINT_PUBLISH_FILE'] as string, 'utf8') : '';
      return text.startsWith(`${LOG_ORIGIN}\n`) && text;
    });
    expect(published).toMatch(/\n\n\u2014 \S+ \S+\n$/);
  }),
  // Deliveries to a receiver are proven in e2e/audit-merkle.e2e-spec.ts; here, that each process runs with the value.
  M2M_AUDIT_CHECKPOINT_PUBLISH_URL: both(effective('audit-service', ['audit', 'publish', 'url'], 'http://127.0.0.1:9/checkpoints')),
  // Deliveries to a receiver are proven in e2e/epcis-subscriptions.e2e-spec.ts; here, that each process runs with the value.
  M2M_EPCIS_WEBHOOK_HOSTS: both(effective('audit-service', ['audit', 'webhooks', 'allowedHosts'], ['127.0.0.1', 'receiver.example', '::1'])),
  M2M_EPCIS_WEBHOOK_RETRY_MIN_MS: both(effective('audit-service', ['audit', 'webhooks', 'retryMinMs'], 20)),
  M2M_EPCIS_WEBHOOK_RETRY_MAX_MS: both(effective('audit-service', ['audit', 'webhooks', 'retryMaxMs'], 4000)),
  M2M_LOG_LEVEL: {
    embedded: async (target) => expect(configurationOf(target, 'gateway').config['logLevel']).toBe('debug'),
    // The debug line itself, from every process.
    distributed: async (target) => {
      for (const app of PROCESSES) expect({ app, level: configurationOf(target, app).config['logLevel'] }).toEqual({ app, level: 'debug' });
    },
  },
  // Readable lines on a terminal or with pretty, JSON otherwise: e2e/startup.e2e-spec.ts, in both modes.
  M2M_LOG_FORMAT: both(async (target) => {
    // Here, piped and unset: JSON from every process (auto), which this suite reads.
    expect(target.settings['M2M_LOG_FORMAT']).toBeUndefined();
    for (const app of target.mode === 'embedded' ? (['gateway'] as const) : PROCESSES) expect(logsOf(target.output(), app).length).toBeGreaterThan(0);
  }),
  M2M_BODY_LIMIT_BYTES: both(async (target) => {
    const large = await new Api(target.url, ADMIN_KEY).post('/v1/devices', { deviceId: 'large', publicKey: '00'.repeat(32), label: 'x'.repeat(5_000) });
    expect(large.status).toBe(413);
  }),
  M2M_TOKEN_ISSUER: both(async (target) => {
    const metadata = await new Api(target.url, null).get<{ issuer: string; token_endpoint: string }>('/.well-known/oauth-authorization-server');
    expect(metadata.body).toMatchObject({ issuer: ISSUER, token_endpoint: `${ISSUER}/oauth2/token` });
  }),
  M2M_TOKEN_AUDIENCE: both(async (target) => {
    const device = await registered(target, 'tokaud');
    const { headers } = fromOwnAddress(target);
    const answer = (await (await tokenRequest(target, device, 20, headers)).json()) as { access_token: string };
    expect(claimsOf(answer.access_token)).toMatchObject({ iss: ISSUER, aud: 'urn:config-test:api' });
  }),
  M2M_TOKEN_TTL_SECONDS: both(async (target) => {
    const device = await registered(target, 'tokttl');
    const { api, headers } = fromOwnAddress(target);
    const challenge = await api.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: device.deviceId }, headers);
    const verified = await api.post<{ verified: boolean; expiresIn: number; accessToken: string }>(
      '/v1/challenges/verify',
      { challengeId: challenge.body.id, signature: device.signHex(challenge.body.nonce) },
      headers,
    );
    expect(verified.body).toMatchObject({ verified: true, expiresIn: 77 });
    const claims = claimsOf(verified.body.accessToken);
    expect(Number(claims['exp']) - Number(claims['iat'])).toBe(77);
  }),
  M2M_TOKEN_KEY_ROTATION_SECONDS: both(effective('challenge-service', ['tokens', 'keyRotationSeconds'], 7200)),
  M2M_CLIENT_ASSERTION_MAX_SECONDS: both(async (target) => {
    const device = await registered(target, 'assert');
    const { headers } = fromOwnAddress(target);
    // 60 s is within the default (300 s), not within the 40 s set.
    const tooLong = await tokenRequest(target, device, 60, headers);
    expect(tooLong.status).toBe(401);
    expect(await tooLong.json()).toMatchObject({ error: 'invalid_client' });
    expect((await tokenRequest(target, device, 30, headers)).status).toBe(200);
  }),
  M2M_SIGNATURE_MAX_AGE_SECONDS: both(async (target) => {
    const device = await registered(target, 'sig');
    const { headers } = fromOwnAddress(target);
    // Signed for the public URL (M2M_PUBLIC_URL), sent to wherever this test reaches the service.
    const signed = (created: number) => signRequest({ method: 'GET', url: `${PUBLIC_URL}/v1/me` }, { deviceId: device.deviceId, privateKey: pemOf(device), created });
    const me = async (created: number) => (await fetch(`${target.url}/v1/me`, { headers: { ...headers, ...(await signed(created)) } })).status;
    // 45 s old is within the default (300 s), not within the 30 s set.
    expect(await me(Date.now() - 45_000)).toBe(401);
    expect(await me(Date.now() - 5_000)).toBe(200);
  }),
  M2M_PUBLIC_URL: both(async (target) => {
    const device = await registered(target, 'pub');
    const { headers } = fromOwnAddress(target);
    const me = async (origin: string) =>
      (await fetch(`${target.url}/v1/me`, { headers: { ...headers, ...(await signRequest({ method: 'GET', url: `${origin}/v1/me` }, { deviceId: device.deviceId, privateKey: pemOf(device) })) } })).status;
    // Not the URL this test reaches, nor M2M_AUDIENCE: the one set.
    expect(await me(target.url)).toBe(401);
    expect(await me(AUDIENCE)).toBe(401);
    expect(await me(PUBLIC_URL)).toBe(200);
  }),
  M2M_RATE_LIMIT_DEVICE_PER_MINUTE: both(async (target) => {
    const device = await registered(target, 'devlimit');
    // Each verify signed with the device's key takes 1 of its 10 (challenges count only per address, here a fresh one
    // each time so the address limit of 7 stays out of the way): ten answered, the eleventh refused.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const { api, headers } = fromOwnAddress(target);
      const challenge = await api.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: device.deviceId }, headers);
      statuses.push((await api.post('/v1/challenges/verify', { challengeId: challenge.body.id, signature: device.signHex(challenge.body.nonce) }, headers)).status);
    }
    expect(statuses).toEqual([...Array<number>(10).fill(200), 429]);
  }),
  M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: both(async (target) => {
    const { api, headers } = fromOwnAddress(target);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await api.post('/v1/challenges', { deviceId: `unknown-${i}` }, headers)).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 201, 429]);
  }),
  M2M_TRUST_PROXY: both(async (target) => {
    // Another address named by the trusted (loopback) proxy has a budget of its own.
    const first = fromOwnAddress(target);
    for (let i = 0; i < 7; i++) await first.api.post('/v1/challenges', { deviceId: `unknown-${i}` }, first.headers);
    expect((await first.api.post('/v1/challenges', { deviceId: 'unknown' }, first.headers)).status).toBe(429);
    const second = fromOwnAddress(target);
    expect((await second.api.post('/v1/challenges', { deviceId: 'unknown' }, second.headers)).status).toBe(201);
  }),
  M2M_RATE_LIMIT_API_KEY_PER_MINUTE: both(async (target) => {
    // Last of the admin key's calls in this suite (see the order below): its budget ends here.
    const admin = new Api(target.url, ADMIN_KEY);
    const first = await admin.get('/v1/devices');
    expect(first.headers.get('ratelimit-limit')).toBe('90');
    const remaining = Number(first.headers.get('ratelimit-remaining'));
    for (let i = 0; i < remaining; i++) await admin.get('/v1/devices');
    expect((await admin.get('/v1/devices')).status).toBe(429);
  }),
  // Retired with automatic lockout: each still accepted, and the process that used to read it says at start that it
  // does nothing; failures no longer lock (e2e/lockout.e2e-spec.ts, e2e/distributed/lockout.e2e-spec.ts).
  M2M_LOCKOUT_THRESHOLD: both(retired('M2M_LOCKOUT_THRESHOLD')),
  M2M_LOCKOUT_SECONDS: both(retired('M2M_LOCKOUT_SECONDS')),
  M2M_LOCKOUT_MAX_SECONDS: both(retired('M2M_LOCKOUT_MAX_SECONDS')),
  M2M_GRPC_TLS_CERT_FILE: both(async (target) => {
    const gateway = logsOf(target.output(), 'gateway').find((line) => line['msg'] === 'listening');
    expect(gateway).toMatchObject({ grpcTls: true });
  }),
  M2M_GRPC_TLS_KEY_FILE: both(async (target) => {
    // Plaintext is refused where TLS is served: the key and certificate are in use.
    const plaintext = new GrpcApi(`${HOST}:${target.grpcPort}`, ADMIN_KEY);
    try {
      expect((await plaintext.checkHealth()).status).not.toBe('SERVING');
    } finally {
      plaintext.close();
    }
  }),
  M2M_DATABASE_URL: distributedOnly(async (target) => {
    // Every process made its schema there (the gateway's: its rate limits), under start:distributed's --schema-prefix.
    const prefix = target.launcher!.schemaPrefix;
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const rows = await client.query<{ name: string }>('SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY 1', [prefix]);
      expect(rows.rows.map((row) => row.name)).toEqual(['audit', 'challenge', 'gateway', 'registry'].map((name) => `${prefix}${name}`));
    } finally {
      await client.end();
    }
  }),
  M2M_DATABASE_MIGRATION_URL: distributedOnly(refusedByLauncher('M2M_DATABASE_MIGRATION_URL', TEST_DATABASE_URL)),
  M2M_DATABASE_SCHEMA: distributedOnly(refusedByLauncher('M2M_DATABASE_SCHEMA', 'mine')),
  M2M_KAFKA_BROKERS: distributedOnly(async (target) => {
    // A registration reaches the audit log over Kafka.
    const device = await registered(target, 'kafka');
    const events = await eventually('the registration in the audit log', async () => {
      const answer = await new Api(target.url, ADMIN_KEY).get<{ epcisBody: { queryResults: { resultsBody: { eventList: unknown[] } } } }>(
        `/epcis/events?MATCH_epc=urn:m2m-trust:device:${device.deviceId}`,
      );
      return answer.status === 200 && answer.body.epcisBody.queryResults.resultsBody.eventList.length > 0 && answer;
    });
    expect(events.body.epcisBody.queryResults.resultsBody.eventList.length).toBe(1);
  }),
  M2M_KAFKA_TOPIC_PREFIX: distributedOnly(async (target) => {
    const admin = new Kafka({ clientId: 'm2m-e2e-config', brokers: TEST_KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(target.launcher!.topicPrefix));
      expect(topics).toEqual(expect.arrayContaining([`${target.launcher!.topicPrefix}m2m.registry.device.v1`]));
    } finally {
      await admin.disconnect();
    }
  }),
  M2M_REGISTRY_GRPC_URL: distributedOnly(refusedByLauncher('M2M_REGISTRY_GRPC_URL', '127.0.0.1:1')),
  M2M_CHALLENGE_GRPC_URL: distributedOnly(refusedByLauncher('M2M_CHALLENGE_GRPC_URL', '127.0.0.1:1')),
  M2M_AUDIT_GRPC_URL: distributedOnly(refusedByLauncher('M2M_AUDIT_GRPC_URL', '127.0.0.1:1')),
  M2M_AUDIT_URL: distributedOnly(refusedByLauncher('M2M_AUDIT_URL', 'http://127.0.0.1:1')),
  M2M_CHALLENGE_URL: distributedOnly(refusedByLauncher('M2M_CHALLENGE_URL', 'http://127.0.0.1:1')),
  M2M_REGISTRY_URL: distributedOnly(refusedByLauncher('M2M_REGISTRY_URL', 'http://127.0.0.1:1')),
  M2M_PROPAGATION_TIMEOUT_MS: distributedOnly(effective('gateway', ['distributed', 'propagationTimeoutMs'], 4321)),
};

/** The order rows run in: the admin key's budget is spent last. */
const ORDER: readonly ConfigVariable[] = [...CONFIG_VARIABLES.filter((variable) => variable !== 'M2M_RATE_LIMIT_API_KEY_PER_MINUTE'), 'M2M_RATE_LIMIT_API_KEY_PER_MINUTE'];

describe('every configuration variable', () => {
  it('has a row in this suite (a new variable needs one) and an entry in the variable map', () => {
    expect(Object.keys(ROWS).sort()).toEqual([...CONFIG_VARIABLES].sort());
    expect(Object.keys(VARIABLE_USES).sort()).toEqual([...CONFIG_VARIABLES].sort());
    expect([...ORDER].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('is in the README and docs/distributed.md tables as the variable map says', () => {
    // Exits 1 naming the stale table.
    expect(() => execFileSync(process.execPath, [join(__dirname, '../../tools/scripts/config-docs.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('is proven in each mode whose processes read it', () => {
    for (const variable of CONFIG_VARIABLES) {
      const use = VARIABLE_USES[variable];
      expect({ variable, embedded: ROWS[variable].embedded !== null }).toEqual({ variable, embedded: use.embedded });
      expect({ variable, distributed: ROWS[variable].distributed !== null }).toEqual({ variable, distributed: use.distributed.length > 0 });
    }
  });
});

/** Every setting at a value other than its default, as one operator's environment. */
function settingsFor(mode: Mode, ports: { http: number; grpc: number }, dataDir: string, tls: { cert: string; key: string }): Record<string, string> {
  return {
    PORT: String(ports.http),
    HOST,
    GRPC_PORT: String(ports.grpc),
    M2M_DATA_DIR: dataDir,
    M2M_ADMIN_API_KEY: ADMIN_KEY,
    M2M_CHALLENGE_TTL_SECONDS: '123',
    M2M_AUDIENCE: AUDIENCE,
    M2M_LOG_LEVEL: 'debug',
    M2M_BODY_LIMIT_BYTES: '4096',
    M2M_AUDIT_CHECKPOINT_SECONDS: '1',
    M2M_AUDIT_LOG_ORIGIN: LOG_ORIGIN,
    M2M_AUDIT_CHECKPOINT_PUBLISH_FILE: join(dataDir, 'published-checkpoints.txt'),
    M2M_AUDIT_CHECKPOINT_PUBLISH_URL: 'http://127.0.0.1:9/checkpoints',
    M2M_EPCIS_WEBHOOK_HOSTS: '127.0.0.1,Receiver.Example,[::1]',
    M2M_EPCIS_WEBHOOK_RETRY_MIN_MS: '20',
    M2M_EPCIS_WEBHOOK_RETRY_MAX_MS: '4000',
    M2M_TOKEN_ISSUER: ISSUER,
    M2M_TOKEN_AUDIENCE: 'urn:config-test:api',
    M2M_TOKEN_TTL_SECONDS: '77',
    M2M_TOKEN_KEY_ROTATION_SECONDS: '7200',
    M2M_CLIENT_ASSERTION_MAX_SECONDS: '40',
    M2M_SIGNATURE_MAX_AGE_SECONDS: '30',
    M2M_PUBLIC_URL: PUBLIC_URL,
    M2M_RATE_LIMIT_DEVICE_PER_MINUTE: '10',
    M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: '7',
    M2M_RATE_LIMIT_API_KEY_PER_MINUTE: '90',
    M2M_TRUST_PROXY: 'loopback',
    M2M_LOCKOUT_THRESHOLD: '2',
    M2M_LOCKOUT_SECONDS: '40',
    M2M_LOCKOUT_MAX_SECONDS: '500',
    M2M_GRPC_TLS_CERT_FILE: tls.cert,
    M2M_GRPC_TLS_KEY_FILE: tls.key,
    ...(mode === 'distributed' ? { M2M_PROPAGATION_TIMEOUT_MS: '4321' } : {}),
  };
}

describe.each<Mode>(['embedded', 'distributed'])('set for the %s mode', (mode) => {
  const workDir = mkdtempSync(join(tmpdir(), `m2m-config-${mode}-`));
  let target: Target;
  let server: RunningServer | null = null;
  let launcher: RunningLauncher | null = null;

  beforeAll(async () => {
    const cert = join(workDir, 'cert.pem');
    const key = join(workDir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${HOST}`,
      '-addext', `subjectAltName=IP:${HOST}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const ports = { http: await freePort(), grpc: await freePort() };
    const dataDir = join(workDir, 'data');
    const settings = settingsFor(mode, ports, dataDir, { cert, key });
    if (mode === 'embedded') {
      server = await startServer({ dataDir, adminKey: ADMIN_KEY, env: settings });
      target = { mode, url: server.url, grpcPort: ports.grpc, dataDir, settings, output: server.output, launcher: null };
    } else {
      launcher = await startLauncher(settings);
      target = { mode, url: launcher.url, grpcPort: ports.grpc, dataDir, settings, output: launcher.output, launcher };
    }
  });

  afterAll(async () => {
    await server?.stop();
    await launcher?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('reaches every process that reads each setting, as its configuration line shows', () => {
    for (const [variable, value] of Object.entries(target.settings) as [ConfigVariable, string][]) {
      const secret = ['M2M_ADMIN_API_KEY', 'M2M_DATABASE_URL'].includes(variable);
      for (const app of processesOf(mode, variable)) {
        const seen = configurationOf(target, app).settings[variable];
        // The launcher owns some (ports, data directory): each process has its own value, but has one.
        const expected = VARIABLE_USES[variable].launcher.kind === 'forward' || mode === 'embedded' ? (secret ? '[redacted]' : value) : expect.any(String);
        expect({ variable, app, seen }).toEqual({ variable, app, seen: expected });
      }
    }
  });

  const rows = ORDER.filter((variable) => ROWS[variable][mode] !== null);
  it.each(rows)('%s is used', async (variable) => {
    await ROWS[variable][mode]!(target);
  });
});
