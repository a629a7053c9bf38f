// npm run start:distributed: the distributed mode on this machine. Brings up
// the local Kafka and PostgreSQL (npm run infra:up; reused when running),
// starts the registry, challenge and audit services on free loopback ports,
// then the gateway on PORT (default 8080) with the same M2M_ADMIN_API_KEY
// contract as the embedded default: set it, or one is generated once and kept
// in M2M_DATA_DIR/admin-api-key. Ctrl-C stops all four.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

import pg from 'pg';

import { DATABASE_URL, KAFKA_BROKERS, up } from '../infra/infra.mjs';

const require = createRequire(import.meta.url);
const { ROOT, freePort, gatewayDatabaseEnv, serviceEnv, startApp } = require('./cluster.cjs');

const env = process.env;
const dataDir = resolve(ROOT, env.M2M_DATA_DIR ?? 'data');
mkdirSync(dataDir, { recursive: true, mode: 0o700 });

function adminKey() {
  if (env.M2M_ADMIN_API_KEY) return { key: env.M2M_ADMIN_API_KEY, generated: false };
  const file = join(dataDir, 'admin-api-key');
  try {
    return { key: readFileSync(file, 'utf8').trim(), generated: false, file };
  } catch {
    const key = `m2m_admin_${randomBytes(32).toString('base64url')}`;
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return { key, generated: true, file };
  }
}

/**
 * The audit service runs as a role that may only read and append its log
 * (docs/epcis.md, "On PostgreSQL"); its schema is migrated as the owner (m2m).
 */
async function auditRole(databaseUrl) {
  const url = new URL(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = 'm2m_audit'");
    if (exists.rowCount === 0) await client.query("CREATE ROLE m2m_audit LOGIN PASSWORD 'm2m_audit'");
  } finally {
    await client.end();
  }
  url.username = 'm2m_audit';
  url.password = 'm2m_audit';
  return url.toString();
}

const log = (message) => process.stderr.write(`[start:distributed] ${message}\n`);
const children = [];
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  // The gateway first, so no request reaches a service that is going away.
  for (const child of [...children].reverse()) await child.stop('SIGTERM');
  process.exit(code);
}

async function main() {
  const infra = await up({ log });
  const databaseUrl = env.M2M_DATABASE_URL ?? infra?.databaseUrl ?? DATABASE_URL;
  const kafkaBrokers = env.M2M_KAFKA_BROKERS ?? infra?.kafkaBrokers ?? KAFKA_BROKERS;
  const key = adminKey();
  const host = env.HOST ?? '127.0.0.1';
  const port = env.PORT && env.PORT !== '0' ? Number(env.PORT) : env.PORT === '0' ? await freePort() : 8080;
  const audience = env.M2M_AUDIENCE ?? `http://${host}:${port}`;
  const base = { databaseUrl, kafkaBrokers, adminKey: key.key, dataDir, logLevel: env.M2M_LOG_LEVEL, topicPrefix: env.M2M_KAFKA_TOPIC_PREFIX };
  const echo = (text) => process.stdout.write(text);

  // The registry checks every managed API key for the others, so they are told its gRPC port before it listens.
  const registryGrpcUrl = `127.0.0.1:${await freePort()}`;
  const askRegistry = { M2M_REGISTRY_GRPC_URL: registryGrpcUrl };
  const [registry, challenge, audit] = await Promise.all([
    startApp('registry-service', { ...serviceEnv('registry', base), GRPC_PORT: registryGrpcUrl.split(':')[1] }, { echo }),
    startApp(
      'challenge-service',
      { ...serviceEnv('challenge', base), ...askRegistry, M2M_AUDIENCE: audience, M2M_TOKEN_ISSUER: env.M2M_TOKEN_ISSUER ?? audience },
      { echo },
    ),
    startApp(
      'audit-service',
      { ...serviceEnv('audit', base), ...askRegistry, M2M_DATABASE_URL: await auditRole(databaseUrl), M2M_DATABASE_MIGRATION_URL: databaseUrl },
      { echo },
    ),
  ]);
  children.push(registry, challenge, audit);
  const gateway = await startApp(
    'gateway',
    {
      HOST: host,
      PORT: String(port),
      GRPC_PORT: env.GRPC_PORT ?? '50051',
      M2M_ADMIN_API_KEY: key.key,
      M2M_LOG_LEVEL: ['trace', 'debug'].includes(env.M2M_LOG_LEVEL) ? env.M2M_LOG_LEVEL : 'info',
      M2M_DATA_DIR: join(dataDir, 'gateway'),
      M2M_REGISTRY_GRPC_URL: registry.grpcUrl,
      M2M_REGISTRY_URL: registry.url,
      M2M_CHALLENGE_GRPC_URL: challenge.grpcUrl,
      M2M_AUDIT_URL: audit.url,
      M2M_AUDIT_GRPC_URL: audit.grpcUrl,
      M2M_CHALLENGE_URL: challenge.url,
      ...gatewayDatabaseEnv(base),
    },
    { echo },
  );
  children.push(gateway);
  for (const child of children) {
    void child.exited.then((code) => {
      if (!stopping) {
        log(`${child.name} exited (${code}); stopping the others`);
        void stopAll(1);
      }
    });
  }
  log(`gateway listening on ${gateway.url} (gRPC ${gateway.grpcUrl}); registry ${registry.grpcUrl}, challenge ${challenge.grpcUrl}, audit ${audit.url}`);
  if (key.generated) process.stdout.write(`\n  Admin API key (generated, kept in ${key.file}):\n\n    ${key.key}\n\n`);
  else if (key.file) log(`admin API key: in ${key.file}`);
}

for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void stopAll(0));
main().catch(async (error) => {
  log(error instanceof Error ? error.message : String(error));
  await stopAll(1);
});
