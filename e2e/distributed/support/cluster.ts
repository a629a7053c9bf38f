import { M2MClient } from '@m2m-trust/sdk';

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

import * as launcher from '../../../tools/scripts/cluster.cjs';

export type RunningApp = launcher.RunningApp;

export const DATABASE_URL = process.env['M2M_TEST_DATABASE_URL'] ?? 'postgres://m2m:m2m@127.0.0.1:55432/m2m';
export const KAFKA_BROKERS = process.env['M2M_TEST_KAFKA_BROKERS'] ?? '127.0.0.1:19092';

export const freePort = (): Promise<number> => launcher.freePort();

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export interface ClusterOptions {
  /** Gateways in front of the services; gateway i talks to challenge-service instance i modulo `challengeInstances`. */
  readonly gateways?: number;
  /** Challenge-service instances, sharing one schema and one consumer group. */
  readonly challengeInstances?: number;
  /** Default: the shared local broker (M2M_TEST_KAFKA_BROKERS). */
  readonly kafkaBrokers?: string;
  /** Names the suite in schema, topic and data-directory names. */
  readonly name: string;
  /** Added to every process's environment (after the generous default rate limits, so a suite can set its own). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface Cluster {
  readonly name: string;
  readonly adminKey: string;
  /** What every challenge names as its audience: the first gateway's URL (all gateways front one service). */
  readonly audience: string;
  readonly schemaPrefix: string;
  readonly topicPrefix: string;
  readonly registry: RunningApp;
  readonly challenges: readonly RunningApp[];
  /** The current audit-service process (replaced by restartAudit). */
  readonly audit: RunningApp;
  readonly gateways: readonly RunningApp[];
  /** An operator's SDK client of gateway i (default 0), expecting the cluster's audience. */
  client(gateway?: number): M2MClient;
  /** Ends the audit service with `signal` (default SIGKILL); resolves with how it exited. */
  killAudit(signal?: NodeJS.Signals): Promise<number | string | null>;
  /** Starts the audit service again, with the same environment and so on the same ports; resolves once it listens. */
  startAudit(): Promise<RunningApp>;
  /** The last lines every process wrote, for a failure's message. */
  logs(lines?: number): string;
  /** Stops every process (gateways first), drops the suite's schemas and topics, removes its data directory. */
  stop(): Promise<void>;
}

/**
 * The audit service runs as a role that may only read and append its log, its
 * schema migrated by the owner, as tools/scripts/start-distributed.mjs does it.
 * Suites run in parallel, so creating the role may race with another suite's.
 */
async function auditRoleUrl(databaseUrl: string): Promise<string> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = 'm2m_audit'");
    if (exists.rowCount === 0) {
      await client.query("CREATE ROLE m2m_audit LOGIN PASSWORD 'm2m_audit'").catch((error: { code?: string }) => {
        // 42710 duplicate_object, 23505 unique_violation: another suite created it just now.
        if (error.code !== '42710' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
  const url = new URL(databaseUrl);
  url.username = 'm2m_audit';
  url.password = 'm2m_audit';
  return url.toString();
}

/** Every schema a cluster creates: the services' and the gateways' (their rate limits). */
const SCHEMAS = ['registry', 'challenge', 'audit', 'gateway'] as const;

async function dropSchemas(databaseUrl: string, schemaPrefix: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const kind of SCHEMAS) await client.query(`DROP SCHEMA IF EXISTS ${schemaPrefix}${kind} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Deletes the suite's topics and consumer groups, so a shared broker does not fill up run after run. */
async function dropTopics(brokers: string, topicPrefix: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'm2m-e2e-cleanup', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(topicPrefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    const groups = (await admin.listGroups()).groups.map((group) => group.groupId).filter((group) => group.startsWith(topicPrefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/** Starts apps in parallel; each one that listens joins `started` (so it is stopped), even when another fails. */
async function startAll(started: RunningApp[], starts: readonly (() => Promise<RunningApp>)[]): Promise<RunningApp[]> {
  const results = await Promise.allSettled(starts.map((start) => start().then((app) => (started.push(app), app))));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<RunningApp>).value);
}

const tailOf = (text: string, lines: number): string => text.split('\n').slice(-lines - 1).join('\n');

/**
 * Starts the distributed mode from dist/ as tools/scripts/start-distributed.mjs
 * does: registry, challenge (one or more instances) and audit services, then the
 * gateways. Everything lives under a fresh schema prefix and topic prefix, so
 * suites never share state or consumer groups. The audit service listens on
 * fixed ports, so a restarted one is found at the same URL.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const id = randomBytes(4).toString('hex');
  const name = options.name;
  const schemaPrefix = `t_${id}_`;
  const topicPrefix = `t${id}.`;
  const kafkaBrokers = options.kafkaBrokers ?? KAFKA_BROKERS;
  const dataDir = mkdtempSync(join(tmpdir(), `m2m-dist-${name}-`));
  const adminKey = `test-admin-key-${name}-${id}-${randomBytes(8).toString('hex')}`;
  const base = { databaseUrl: DATABASE_URL, kafkaBrokers, adminKey, dataDir, schemaPrefix, topicPrefix };
  const suiteEnv = { ...launcher.GENEROUS_RATE_LIMITS, ...options.env };
  const started: RunningApp[] = [];
  const dead: RunningApp[] = [];
  const stopAll = async (): Promise<void> => {
    // Gateways first, so no request reaches a service that is going away.
    for (const app of [...started].reverse()) await app.stop('SIGTERM');
  };

  try {
    const gatewayPorts = await Promise.all(Array.from({ length: options.gateways ?? 1 }, () => launcher.freePort()));
    const audience = `http://127.0.0.1:${gatewayPorts[0]}`;
    // The registry checks every managed API key for the others, so they are told its gRPC port before it listens.
    const registryGrpcPort = await launcher.freePort();
    const askRegistry = { M2M_REGISTRY_GRPC_URL: `127.0.0.1:${registryGrpcPort}` };
    const auditEnv: Record<string, string> = {
      ...launcher.serviceEnv('audit', base),
      ...askRegistry,
      ...suiteEnv,
      M2M_DATABASE_URL: await auditRoleUrl(DATABASE_URL),
      M2M_DATABASE_MIGRATION_URL: DATABASE_URL,
      PORT: String(await launcher.freePort()),
      GRPC_PORT: String(await launcher.freePort()),
    };
    const [registry, audit, ...challenges] = await startAll(started, [
      () =>
        launcher.startApp('registry-service', { ...launcher.serviceEnv('registry', base), ...suiteEnv, GRPC_PORT: String(registryGrpcPort) }, { name: `${name}:registry` }),
      () => launcher.startApp('audit-service', auditEnv, { name: `${name}:audit` }),
      ...Array.from({ length: options.challengeInstances ?? 1 }, (_, i) => () =>
        launcher.startApp(
          'challenge-service',
          { ...launcher.serviceEnv('challenge', base), ...askRegistry, ...suiteEnv, M2M_DATA_DIR: join(dataDir, `challenge-${i + 1}`), M2M_AUDIENCE: audience, M2M_TOKEN_ISSUER: audience },
          { name: `${name}:challenge-${i + 1}` },
        ),
      ),
    ]);
    const gateways = await startAll(
      started,
      gatewayPorts.map((port, i) => () =>
        launcher.startApp(
          'gateway',
          {
            PORT: String(port),
            GRPC_PORT: '0',
            M2M_ADMIN_API_KEY: adminKey,
            M2M_LOG_LEVEL: 'info',
            M2M_AUDIENCE: audience,
            M2M_DATA_DIR: join(dataDir, `gateway-${i + 1}`),
            M2M_REGISTRY_GRPC_URL: registry!.grpcUrl,
            M2M_REGISTRY_URL: registry!.url,
            M2M_CHALLENGE_GRPC_URL: challenges[i % challenges.length]!.grpcUrl,
            M2M_CHALLENGE_URL: challenges[i % challenges.length]!.url,
            M2M_AUDIT_URL: audit!.url,
            // The rate limits of every gateway count in one table, as deployed.
            ...launcher.gatewayDatabaseEnv(base),
            ...suiteEnv,
          },
          { name: `${name}:gateway-${i + 1}` },
        ),
      ),
    );

    let currentAudit = audit!;
    const cluster: Cluster = {
      name,
      adminKey,
      audience,
      schemaPrefix,
      topicPrefix,
      registry: registry!,
      challenges,
      get audit() {
        return currentAudit;
      },
      gateways,
      client: (gateway = 0) => new M2MClient({ baseUrl: gateways[gateway]!.url, apiKey: adminKey, audience, retry: false }),
      killAudit: async (signal = 'SIGKILL') => {
        const code = await currentAudit.stop(signal);
        started.splice(started.indexOf(currentAudit), 1);
        dead.push(currentAudit);
        return code;
      },
      startAudit: async () => {
        currentAudit = await launcher.startApp('audit-service', auditEnv, { name: `${name}:audit (restarted)` });
        // First in line, so it stops last, after the gateways.
        started.unshift(currentAudit);
        return currentAudit;
      },
      logs: (lines = 30) =>
        [...dead, ...started].map((app) => `--- ${app.name} (pid ${app.pid})\n${tailOf(app.output(), lines)}`).join('\n'),
      stop: async () => {
        await stopAll();
        await dropSchemas(DATABASE_URL, schemaPrefix);
        await dropTopics(kafkaBrokers, topicPrefix).catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    return cluster;
  } catch (error) {
    await stopAll();
    await dropSchemas(DATABASE_URL, schemaPrefix).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
