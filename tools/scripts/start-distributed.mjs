// npm run start:distributed: the distributed mode on this machine. Brings up
// the local Kafka and PostgreSQL (npm run infra:up; reused when running, not
// started when M2M_DATABASE_URL and M2M_KAFKA_BROKERS name others), starts the
// registry, challenge and audit services on free loopback ports, then the
// gateway on PORT (default 8080) with the same M2M_ADMIN_API_KEY contract as
// the embedded default: set it, or one is generated once and kept in
// M2M_DATA_DIR/admin-api-key. Ctrl-C stops all four.
//
// Every setting of the operator's environment reaches the processes that read
// it (operatorEnv, from the variable map in
// libs/shared/platform/src/lib/config/config-variables.ts); the ones this
// launcher wires itself (service URLs, schemas) stop the start when set.
//
// Options: --schema-prefix <p>  prefixes the four PostgreSQL schemas, so
// several deployments (or test runs) share one database.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import pg from 'pg';

import { DATABASE_URL, KAFKA_BROKERS, up } from '../infra/infra.mjs';

const require = createRequire(import.meta.url);
const { ROOT, built, checkOperatorEnv, freePort, gatewayDatabaseEnv, operatorEnv, serviceEnv, startApp } = require('./cluster.cjs');
const { assertCanListen } = built('libs/shared/bootstrap/src/lib/port-probe.js');
const { bannerText } = built('libs/shared/bootstrap/src/lib/banner.js');

const env = process.env;
const { values: options } = parseArgs({ options: { 'schema-prefix': { type: 'string', default: '' } } });
const log = (message) => process.stderr.write(`[start:distributed] ${message}\n`);

const prettyLogs = env.M2M_LOG_FORMAT === 'pretty' || (env.M2M_LOG_FORMAT !== 'json' && process.stdout.isTTY === true);
const prettify = prettyLogs ? require('pino-pretty').prettyFactory(built('libs/shared/platform/src/lib/observability/logger.js').PRETTY_OPTIONS) : null;

/** One process's output, shown as the operator asked: its JSON lines as they are, or readable. */
function echoer() {
  let pending = '';
  return (text) => {
    if (!prettify) return void process.stdout.write(text);
    pending += text;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      process.stdout.write(line.startsWith('{') ? prettify(line) : `${line}\n`);
    }
  };
}

function adminKey(dataDir) {
  if (env.M2M_ADMIN_API_KEY) return { key: env.M2M_ADMIN_API_KEY, generated: false, file: null };
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

const children = [];
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  // The gateway first, so no request reaches a service that is going away.
  for (const child of [...children].reverse()) {
    const ended = await child.stop('SIGTERM');
    // A graceful stop ends by the signal; anything else is worth a line.
    if (ended !== 'SIGTERM') log(`${child.name} ended with ${ended}`);
  }
  if (children.length > 0) log('stopped');
  process.exit(code);
}

/** A problem the operator fixes in the environment: one line, nothing started. */
class SetupError extends Error {
  constructor(message, exitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

async function main() {
  const checked = checkOperatorEnv(env);
  for (const warning of checked.unknown) log(`warning: ${warning}`);
  if (checked.refused.length > 0) throw new SetupError(checked.refused.join('\n'), 2);

  const host = env.HOST || '127.0.0.1';
  const anyPort = env.PORT === '0';
  const port = env.PORT && !anyPort ? Number(env.PORT) : anyPort ? await freePort() : 8080;
  // As the embedded default: a start on any free HTTP port takes any free gRPC port too.
  const grpcPort = env.GRPC_PORT || (anyPort ? '0' : '50051');
  // Before the infrastructure and three services start only to be stopped again.
  try {
    await assertCanListen(host, port, 'HTTP', 'PORT');
    await assertCanListen(host, Number(grpcPort), 'gRPC', 'GRPC_PORT');
  } catch (error) {
    throw new SetupError(error.message, 1);
  }

  const dataDir = resolve(ROOT, env.M2M_DATA_DIR || 'data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const ownInfra = Boolean(env.M2M_DATABASE_URL && env.M2M_KAFKA_BROKERS);
  const infra = ownInfra ? null : await up({ log });
  const databaseUrl = env.M2M_DATABASE_URL || infra?.databaseUrl || DATABASE_URL;
  const kafkaBrokers = env.M2M_KAFKA_BROKERS || infra?.kafkaBrokers || KAFKA_BROKERS;
  const key = adminKey(dataDir);
  const publicUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const schemaPrefix = options['schema-prefix'];
  const base = { databaseUrl, kafkaBrokers, adminKey: key.key, dataDir, schemaPrefix };
  // Each process: what the launcher wires, then the operator's settings it reads.
  const envOf = (name, wiring) => ({ ...wiring, ...operatorEnv(name, env) });

  // The registry checks every managed API key for the others, so they are told its gRPC port before it listens.
  const registryGrpcUrl = `127.0.0.1:${await freePort()}`;
  const askRegistry = { M2M_REGISTRY_GRPC_URL: registryGrpcUrl };
  // Nonces, tokens, signed requests and audit checkpoints name the public service: the gateway, unless the operator says otherwise.
  const publicNames = { M2M_AUDIENCE: publicUrl, M2M_TOKEN_ISSUER: publicUrl };
  const started = await Promise.allSettled([
    startApp('registry-service', envOf('registry-service', { ...serviceEnv('registry', base), GRPC_PORT: registryGrpcUrl.split(':')[1] }), { echo: echoer() }),
    startApp('challenge-service', envOf('challenge-service', { ...serviceEnv('challenge', base), ...askRegistry, ...publicNames }), { echo: echoer() }),
    startApp(
      'audit-service',
      envOf('audit-service', {
        ...serviceEnv('audit', base),
        ...askRegistry,
        M2M_AUDIENCE: publicUrl,
        M2M_DATABASE_URL: await auditRole(databaseUrl),
        M2M_DATABASE_MIGRATION_URL: databaseUrl,
      }),
      { echo: echoer() },
    ),
  ]);
  for (const result of started) if (result.status === 'fulfilled') children.push(result.value);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const [registry, challenge, audit] = children;
  const gateway = await startApp(
    'gateway',
    envOf('gateway', {
      HOST: host,
      PORT: String(port),
      GRPC_PORT: grpcPort,
      M2M_ADMIN_API_KEY: key.key,
      M2M_DATA_DIR: join(dataDir, 'gateway'),
      M2M_REGISTRY_GRPC_URL: registry.grpcUrl,
      M2M_REGISTRY_URL: registry.url,
      M2M_CHALLENGE_GRPC_URL: challenge.grpcUrl,
      M2M_AUDIT_URL: audit.url,
      M2M_AUDIT_GRPC_URL: audit.grpcUrl,
      M2M_CHALLENGE_URL: challenge.url,
      ...gatewayDatabaseEnv(base),
    }),
    { echo: echoer() },
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
  if (prettyLogs) {
    process.stdout.write(
      bannerText({
        title: 'm2m-trust (distributed)',
        url: gateway.url,
        grpcUrl: gateway.grpcUrl,
        grpcTls: Boolean(env.M2M_GRPC_TLS_CERT_FILE),
        links: [
          { label: 'Docs', path: '/docs' },
          { label: 'OpenAPI', path: '/openapi.json' },
        ],
        adminApiKeyFile: key.file,
        extra: [`services  registry ${registry.url}, challenge ${challenge.url}, audit ${audit.url}`],
      }),
    );
  }
  if (key.generated) process.stdout.write(`\n  Admin API key (generated, kept in ${key.file}):\n\n    ${key.key}\n\n`);
  else if (key.file) log(`admin API key: in ${key.file}`);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void stopAll(0);
  });
}
main().catch(async (error) => {
  log(error instanceof SetupError ? error.message : error instanceof Error ? error.message : String(error));
  await stopAll(error instanceof SetupError ? error.exitCode : 1);
});
