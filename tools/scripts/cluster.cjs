// Starts the distributed mode's processes from dist/ (registry, challenge and
// audit services, then gateways), each on free loopback ports, and waits for
// each one's "listening" line. Used by `npm run start:distributed` and by the
// distributed end-to-end suites, so both start the system the same way.
'use strict';
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { createServer } = require('node:net');
const { join, resolve } = require('node:path');

const { track } = require('./child-registry.cjs');

const ROOT = resolve(__dirname, '..', '..');
const mainOf = (app) => join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
/** A module of the build (dist/), loaded when first needed: this file is also loaded where nothing was built yet. */
const built = (path) => require(join(ROOT, 'dist', path));

/** The first port the kernel hands to outgoing connections (Linux); 32768 elsewhere. */
function ephemeralStart() {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && low > 11000 ? low : 32768;
  } catch {
    return 32768;
  }
}

const canListen = (port) =>
  new Promise((done) => {
    const server = createServer();
    server.unref();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });

/**
 * A free loopback port for an app to listen on, chosen below the ephemeral
 * range: a port from listen(0) comes from that range, and an outgoing
 * connection (to Kafka, PostgreSQL, another service) could take it between
 * this check and the app's own listen.
 */
async function freePort() {
  const low = 10000;
  const high = ephemeralStart() - 1;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free loopback port between ${low} and ${high}`);
}

/**
 * Starts one app as a child process and resolves once it listens.
 * `env` is the whole environment of the child (plus PATH and HOME, loopback
 * and any free ports by default); a variable set to null is left unset.
 * `main`: another script to run than the app's built main.js (`npm start`'s
 * tools/scripts/start.mjs, say).
 */
function startApp(app, env, { name = app, echo = null, timeoutMs = 180_000, main = mainOf(app) } = {}) {
  // JSON logs whatever the caller's M2M_LOG_FORMAT: the "listening" line is read from them.
  const childEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: '0', GRPC_PORT: '0', ...env, M2M_LOG_FORMAT: 'json' };
  for (const [key, value] of Object.entries(childEnv)) if (value === null || value === undefined) delete childEnv[key];
  const child = track(spawn(process.execPath, [main], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  let pending = '';
  // 'close', not 'exit': by then its last lines ("stopped") have been read from the pipes too.
  const exited = new Promise((done) => child.once('close', (code, signal) => done(code ?? signal)));
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      // Not left running behind the caller's back.
      child.kill('SIGKILL');
      fail(new Error(`${name} did not start within ${timeoutMs} ms:\n${output.slice(-4000)}`));
    }, timeoutMs);
    const onData = (chunk) => {
      const text = chunk.toString();
      output += text;
      if (echo) echo(text);
      pending += text;
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (!line.includes('"msg":"listening"')) continue;
        try {
          const { url, grpcUrl } = JSON.parse(line);
          clearTimeout(timer);
          done({
            name,
            app,
            url,
            grpcUrl,
            pid: child.pid,
            output: () => output,
            exited,
            stop: (signal = 'SIGTERM') => {
              if (child.exitCode === null && child.signalCode === null) child.kill(signal);
              return exited;
            },
          });
        } catch {
          // Not the line we wait for after all.
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited with ${code} before listening:\n${output.slice(-4000)}`));
    });
  });
}

/**
 * The environment each service needs. `databaseUrl`/`kafkaBrokers`: the
 * infrastructure; `schemaPrefix` keeps parallel clusters (tests) apart in one
 * database, `topicPrefix` on one Kafka cluster (topics and consumer groups).
 */
function serviceEnv(kind, base) {
  const env = {
    M2M_DATABASE_URL: base.databaseUrl,
    M2M_KAFKA_BROKERS: base.kafkaBrokers,
    M2M_ADMIN_API_KEY: base.adminKey,
    // At least info: the launcher waits for each process's "listening" line.
    M2M_LOG_LEVEL: ['trace', 'debug'].includes(base.logLevel) ? base.logLevel : 'info',
    M2M_DATABASE_SCHEMA: `${base.schemaPrefix ?? ''}${kind}`,
    M2M_DATA_DIR: join(base.dataDir, kind),
  };
  if (base.topicPrefix) env.M2M_KAFKA_TOPIC_PREFIX = base.topicPrefix;
  if (base.migrationUrl) env.M2M_DATABASE_MIGRATION_URL = base.migrationUrl;
  return env;
}

/**
 * A gateway's PostgreSQL: where its rate limits count, so that every gateway
 * holds the same per-address and per-API-key budgets (docs/abuse-limits.md).
 */
function gatewayDatabaseEnv(base) {
  return { M2M_DATABASE_URL: base.databaseUrl, M2M_DATABASE_SCHEMA: `${base.schemaPrefix ?? ''}gateway` };
}

/**
 * Rate limits no test suite or load test reaches, though all of them
 * authenticate thousands of times from one loopback address; still on, so
 * the limiter's cost is in every measurement.
 */
const GENEROUS_RATE_LIMITS = {
  M2M_RATE_LIMIT_DEVICE_PER_MINUTE: '1000000',
  M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: '10000000',
  M2M_RATE_LIMIT_API_KEY_PER_MINUTE: '10000000',
};

/**
 * The operator's settings for one process of the distributed mode: every
 * variable set in `env` that the process reads and the launcher passes on as
 * it is (VARIABLE_USES in libs/shared/platform/src/lib/config/config-variables.ts).
 * The variables the launcher owns or refuses are not in it.
 */
function operatorEnv(processName, env = process.env) {
  const { VARIABLE_USES } = built('libs/shared/platform/src/lib/config/config-variables.js');
  const forwarded = {};
  for (const [name, use] of Object.entries(VARIABLE_USES)) {
    if (use.launcher.kind !== 'forward' || !(use.launcher.to ?? use.distributed).includes(processName)) continue;
    if (env[name] !== undefined && env[name] !== '') forwarded[name] = env[name];
  }
  return forwarded;
}

/**
 * What the launcher must say about the operator's environment before it
 * starts anything: `refused`, a variable it wires itself (the start stops);
 * `unknown`, an M2M_* name no process reads (a warning, with the likely typo).
 */
function checkOperatorEnv(env = process.env) {
  const { VARIABLE_USES, unknownVariables, unknownVariableMessage } = built('libs/shared/platform/src/lib/config/config-variables.js');
  const refused = Object.entries(VARIABLE_USES)
    .filter(([name, use]) => use.launcher.kind === 'refuses' && env[name])
    .map(([name, use]) => `${name} is set, but ${use.launcher.note}`);
  return { refused, unknown: unknownVariables(env).map(unknownVariableMessage) };
}

module.exports = { ROOT, built, freePort, startApp, serviceEnv, gatewayDatabaseEnv, operatorEnv, checkOperatorEnv, GENEROUS_RATE_LIMITS, mainOf };
