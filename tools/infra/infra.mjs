#!/usr/bin/env node
// Local infrastructure for distributed mode, without Docker: PostgreSQL 15 on 127.0.0.1:55432 and a
// single-node Apache Kafka (KRaft) on 127.0.0.1:19092, for tests (tools/scripts/test.mjs) and developers.
//
//   node tools/infra/infra.mjs up|down|status|reset      (npm run infra:up / infra:down)
//
// `up` reuses whatever already answers on those ports when it is usable, otherwise starts the
// component and waits until it is ready. `down` stops only what `up` started (pid files).
// Runtime state lives in <repo>/tmp/infra, or in M2M_INFRA_DIR. See docs/infra.md.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

const HOST = '127.0.0.1';
const PG_PORT = 55432;
const PG_MAJOR = 15;
const KAFKA_PORT = 19092;
const KAFKA_CONTROLLER_PORT = 19093;

export const DATABASE_URL = `postgres://m2m:m2m@${HOST}:${PG_PORT}/m2m`;
export const KAFKA_BROKERS = `${HOST}:${KAFKA_PORT}`;
const SUPERUSER_URL = `postgres://postgres:postgres@${HOST}:${PG_PORT}/postgres`;

const KAFKA_START_TIMEOUT_MS = 180_000;
const PG_START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

/** A component that could not be brought up or down; the message ends with its log's tail. */
export class InfraError extends Error {
  constructor(component, message, logFile) {
    super(`${component}: ${message}${logFile ? `\n--- last lines of ${logFile}\n${tail(logFile)}` : ''}`);
    this.name = 'InfraError';
    this.component = component;
  }
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function stateDir() {
  return resolve(process.env.M2M_INFRA_DIR || join(root, 'tmp', 'infra'));
}

function tail(file, lines = 40) {
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8').split('\n').slice(-lines - 1).join('\n');
  } catch (error) {
    return `(no log: ${error.message})`;
  }
}

function readText(file) {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** True while the process exists and is not a zombie. */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  const stat = readText(`/proc/${pid}/stat`);
  return !/^\d+ \(.*\) Z/.test(stat);
}

/** Whether `pid` still runs the program a pid file says it does (guards against reused pids; Linux only). */
function runs(pid, marker) {
  if (!alive(pid)) return false;
  const cmdline = readText(`/proc/${pid}/cmdline`);
  return process.platform !== 'linux' || cmdline.includes(marker);
}

function portOpen(port, timeoutMs = 1000) {
  return new Promise((done) => {
    const socket = connect({ host: HOST, port });
    const finish = (open) => {
      socket.destroy();
      done(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

function which(command) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return null;
}

/** Runs a command to completion; resolves with its exit code and output (never rejects). */
function run(command, args, options = {}) {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.once('error', (error) => done({ code: -1, output: `${output}${error.message}\n` }));
    child.once('close', (code) => done({ code: code ?? -1, output }));
  });
}

/**
 * Installs Debian packages on a machine that lacks them (a fresh CI runner runs as root;
 * a developer gets sudo if it works without a password, else a clear message). Tries without
 * `apt-get update` first, since that is slow and usually not needed.
 */
async function aptInstall(packages) {
  const hint = `install ${packages.join(' ')} yourself (see docs/infra.md)`;
  if (process.platform !== 'linux' || !which('apt-get')) throw new Error(`missing ${packages.join(', ')}; no apt-get here: ${hint}`);
  let prefix = [];
  if (!isRoot()) {
    if (!which('sudo') || spawnSync('sudo', ['-n', 'true']).status !== 0) throw new Error(`missing ${packages.join(', ')} and not root: ${hint}`);
    prefix = ['sudo', '-n'];
  }
  const apt = (args) => {
    const argv = [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args];
    return run(argv[0], argv.slice(1));
  };
  const install = ['install', '-y', '-q', '--no-install-recommends', ...packages];
  let result = await apt(install);
  if (result.code !== 0) {
    await apt(['update', '-q']);
    result = await apt(install);
  }
  if (result.code !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed:\n${result.output.split('\n').slice(-20).join('\n')}`);
}

// ---------------------------------------------------------------------------------------------
// One `up` at a time per state directory: test runs of several developers or helpers may start
// together, and two postmasters on one data directory or two brokers on one log dir must not race.

async function withLock(dir, action) {
  const file = join(dir, 'infra.lock');
  const deadline = Date.now() + 10 * 60_000;
  let announced = false;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(readText(file));
      const fresh = Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 10_000;
      if (holder ? !alive(holder) : !fresh) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${file} (held by pid ${holder})`);
      if (!announced) process.stderr.write(`infra: waiting for another infra.mjs (pid ${holder || '?'}) to finish\n`);
      announced = true;
      await sleep(500);
    }
  }
  try {
    return await action();
  } finally {
    rmSync(file, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

const pgDataMarker = 'PG_VERSION';

function postgresVersion(bin) {
  const result = spawnSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' });
  const major = /\(PostgreSQL\) (\d+)/.exec(result.stdout ?? '')?.[1];
  return major ? Number(major) : null;
}

/** The bin directory of a PostgreSQL 15 installation: M2M_PG_BIN, the usual package locations, then PATH. */
function findPostgres() {
  const candidates = [
    process.env.M2M_PG_BIN,
    `/usr/lib/postgresql/${PG_MAJOR}/bin`, // Debian, Ubuntu
    `/usr/pgsql-${PG_MAJOR}/bin`, // RHEL (PGDG)
    `/opt/homebrew/opt/postgresql@${PG_MAJOR}/bin`, // macOS, Homebrew
    `/usr/local/opt/postgresql@${PG_MAJOR}/bin`,
    ...(process.env.PATH || '').split(delimiter),
  ];
  for (const bin of candidates) {
    if (bin && existsSync(join(bin, 'initdb')) && postgresVersion(bin) === PG_MAJOR) return bin;
  }
  return null;
}

/** initdb and postgres refuse to run as root: then they run as the `postgres` system user (made by the Debian package). */
function postgresAccount() {
  if (!isRoot()) return null;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new InfraError('postgres', 'running as root, but there is no `postgres` system user to run PostgreSQL as');
  }
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

function reachableBy(dir, account) {
  return spawnSync('/bin/sh', ['-c', 'cd "$1"', 'sh', dir], { uid: account.uid, gid: account.gid }).status === 0;
}

/**
 * <state>/postgres, unless we run as root and the `postgres` user cannot reach it (a repository under
 * a 0700 home directory, say): then PostgreSQL's data directory lives under /tmp, in a directory
 * named after a hash of the state directory so that two checkouts keep apart. An existing data
 * directory wins, so the choice does not flip between runs.
 */
function postgresDataDir(dir, account) {
  const inState = join(dir, 'postgres');
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  const inTmp = join('/tmp', `m2m-trust-infra-${hash}`, 'postgres');
  if (!account) return inState;
  for (const candidate of [inState, inTmp]) if (existsSync(join(candidate, pgDataMarker))) return candidate;
  return reachableBy(dir, account) ? inState : inTmp;
}

/** Both data-directory locations `postgresDataDir` may choose, for `reset`. */
function postgresDataDirs(dir) {
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  return [join(dir, 'postgres'), join('/tmp', `m2m-trust-infra-${hash}`)];
}

async function pgQuery(url, statements) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    for (const statement of statements) await client.query(statement);
    return null;
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The application role: may create roles (migrations create a service role) and owns database
 * m2m, but is no superuser. Idempotent: also repairs a role changed by hand.
 */
async function ensureRoles() {
  const { Client } = require('pg');
  const client = new Client({ connectionString: SUPERUSER_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'm2m') THEN CREATE ROLE m2m; END IF;
    END $$`);
    await client.query(`ALTER ROLE m2m WITH LOGIN CREATEROLE NOSUPERUSER PASSWORD 'm2m'`);
    // CREATE DATABASE cannot run inside a DO block, hence the separate check.
    const { rowCount } = await client.query(`SELECT FROM pg_database WHERE datname = 'm2m'`);
    await client.query(rowCount === 0 ? 'CREATE DATABASE m2m OWNER m2m' : 'ALTER DATABASE m2m OWNER TO m2m');
    return null;
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function upPostgres(dir, bin, spawned) {
  const since = Date.now();
  const pidFile = join(dir, 'postgres.pid');
  const logFile = join(dir, 'postgres.log');
  const ownPid = Number(readText(pidFile));

  if (await portOpen(PG_PORT)) {
    if (!(await pgQuery(DATABASE_URL, ['SELECT 1']))) {
      const whose = ownPid && runs(ownPid, 'postgres') ? `started earlier by infra.mjs, pid ${ownPid}` : 'not started by this infra.mjs';
      return { started: false, line: `reused the server on ${HOST}:${PG_PORT} (${whose}) in ${seconds(since)}` };
    }
    // Something answers but m2m cannot log in: a server set up by hand, perhaps; add the role if we may.
    if (!(await ensureRoles()) && !(await pgQuery(DATABASE_URL, ['SELECT 1']))) {
      return { started: false, line: `reused the server on ${HOST}:${PG_PORT} after creating role and database m2m, in ${seconds(since)}` };
    }
    const error = await pgQuery(DATABASE_URL, ['SELECT 1']);
    throw new InfraError('postgres', `${HOST}:${PG_PORT} answers, but m2m cannot log in to database m2m (${error?.message}) and postgres/postgres cannot fix that; stop whatever listens there`);
  }

  const account = postgresAccount();
  const dataDir = postgresDataDir(dir, account);
  const asAccount = account ? { uid: account.uid, gid: account.gid } : {};
  let initialised = false;
  if (!existsSync(join(dataDir, pgDataMarker))) {
    rmSync(dataDir, { recursive: true, force: true });
    // Its parents open to the postgres user, the data directory itself private (initdb insists).
    mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
    mkdirSync(dataDir, { mode: 0o700 });
    const pwFile = join(dirname(dataDir), '.postgres-password');
    writeFileSync(pwFile, 'postgres\n', { mode: 0o600 });
    if (account) {
      chownSync(dataDir, account.uid, account.gid);
      chownSync(pwFile, account.uid, account.gid);
    }
    const init = await run(
      join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', `--pwfile=${pwFile}`, '--auth-host=scram-sha-256', '--auth-local=scram-sha-256',
        '-E', 'UTF8', '--no-locale', '--no-sync', '--no-instructions'],
      { ...asAccount, cwd: dirname(dataDir) },
    );
    rmSync(pwFile, { force: true });
    writeFileSync(logFile, init.output, { flag: 'a' });
    if (init.code !== 0) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new InfraError('postgres', `initdb failed (exit ${init.code})`, logFile);
    }
    // Passwords (SCRAM) for every connection, TCP on IPv4 loopback only; no replication entries.
    writeFileSync(
      join(dataDir, 'pg_hba.conf'),
      '# Written by tools/infra/infra.mjs.\n' +
        '# TYPE  DATABASE  USER  ADDRESS       METHOD\n' +
        'local   all       all                 scram-sha-256\n' +
        'host    all       all   127.0.0.1/32  scram-sha-256\n',
    );
    initialised = true;
  }

  const settings = {
    listen_addresses: HOST,
    port: String(PG_PORT),
    // No Unix socket: /var/run/postgresql may not be writable, and everything connects over TCP.
    unix_socket_directories: '',
    password_encryption: 'scram-sha-256',
    max_connections: '200',
    // Durable, as a deployment would run it: start:distributed and the benchmarks run on this
    // server, and an answered write must survive a crash there too (PostgreSQL groups WAL flushes
    // of concurrent commits, so the cost is one fsync per group, as SQLite's group commit pays).
    fsync: 'on',
    synchronous_commit: 'on',
    full_page_writes: 'on',
  };
  const log = openSync(logFile, 'a');
  const postmaster = spawn(join(bin, 'postgres'), ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
    ...asAccount,
    cwd: dataDir,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exited = null;
  postmaster.once('exit', (code, signal) => (exited = signal ?? code));
  postmaster.once('error', (error) => (exited = error.message));
  postmaster.unref();
  spawned.postgres = true;
  writeFileSync(pidFile, `${postmaster.pid}\n`);

  const deadline = Date.now() + PG_START_TIMEOUT_MS;
  let lastError = await pgQuery(SUPERUSER_URL, ['SELECT 1']);
  while (lastError) {
    if (exited !== null) {
      rmSync(pidFile, { force: true });
      throw new InfraError('postgres', `postgres exited during start-up (${exited})`, logFile);
    }
    if (Date.now() > deadline) throw new InfraError('postgres', `not ready after ${PG_START_TIMEOUT_MS / 1000} s (${lastError.message})`, logFile);
    await sleep(200);
    lastError = await pgQuery(SUPERUSER_URL, ['SELECT 1']);
  }
  const rolesError = await ensureRoles();
  if (rolesError) throw new InfraError('postgres', `could not create role and database m2m: ${rolesError.message}`, logFile);
  const loginError = await pgQuery(DATABASE_URL, ['SELECT 1']);
  if (loginError) throw new InfraError('postgres', `m2m cannot log in: ${loginError.message}`, logFile);
  return {
    started: true,
    line: `started PostgreSQL ${PG_MAJOR} (${initialised ? 'initdb + start' : 'existing data'}, pid ${postmaster.pid}) in ${seconds(since)}; data in ${dataDir}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Kafka

const pomFile = join(here, 'kafka', 'pom.xml');

function javaBinary() {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : which('java');
}

function libStamp() {
  return createHash('sha256').update(readFileSync(pomFile)).digest('hex');
}

function libsCurrent(libDir) {
  return readText(join(libDir, '.pom-sha256')) === libStamp();
}

/** The broker's class path from Maven Central, via the committed pom (reuses ~/.m2). */
async function fetchKafkaLibs(kafkaDir, libDir) {
  const logFile = join(kafkaDir, 'maven.log');
  rmSync(libDir, { recursive: true, force: true });
  const result = await run('mvn', [
    '-B', '-ntp', '-f', pomFile,
    // Maven 3.8's default dependency plugin predates what we need; pin a current one.
    'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
    '-DincludeScope=runtime', `-DoutputDirectory=${libDir}`,
  ]);
  writeFileSync(logFile, result.output);
  if (result.code !== 0) throw new InfraError('kafka', `mvn copy-dependencies failed (exit ${result.code})`, logFile);
  writeFileSync(join(libDir, '.pom-sha256'), `${libStamp()}\n`);
}

/** The cluster id in the state directory; a formatted log dir's own id wins, so an existing dir stays usable. */
function clusterId(kafkaDir, dataDir) {
  const file = join(kafkaDir, 'cluster-id');
  const formatted = /^cluster\.id=(.+)$/m.exec(readText(join(dataDir, 'meta.properties')))?.[1]?.trim();
  // A KRaft cluster id is 16 random bytes in URL-safe base64 (what `kafka-storage random-uuid` prints).
  const id = formatted || readText(file) || randomBytes(16).toString('base64url');
  writeFileSync(file, `${id}\n`);
  return id;
}

async function kafkaAnswers() {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({
    clientId: 'm2m-infra',
    brokers: [KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return null;
  } catch (error) {
    return error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * A fresh broker creates __consumer_offsets on the first FindCoordinator and fetches a producer-id
 * block from the controller on the first InitProducerId, answering "coordinator loading" meanwhile.
 * Do both here, so the first test's consumer group and idempotent producer do not pay for it in retries.
 */
async function warmUpKafka() {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'm2m-infra', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    await admin.describeGroups(['m2m-infra-warm-up']);
    await producer.connect();
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

async function waitForKafkaClient(deadline, logFile, exitedReason) {
  let error = await kafkaAnswers();
  while (error) {
    if (exitedReason() !== null) throw new InfraError('kafka', `the broker exited (${exitedReason()})`, logFile);
    if (Date.now() > deadline) throw new InfraError('kafka', `no answer to a metadata request (${error.message})`, logFile);
    await sleep(500);
    error = await kafkaAnswers();
  }
}

async function upKafka(dir, spawned) {
  const since = Date.now();
  const kafkaDir = join(dir, 'kafka');
  const libDir = join(kafkaDir, 'lib');
  const dataDir = join(kafkaDir, 'data');
  const logFile = join(kafkaDir, 'kafka.log');
  const pidFile = join(dir, 'kafka.pid');
  const ownPid = Number(readText(pidFile));
  mkdirSync(kafkaDir, { recursive: true });

  if (await portOpen(KAFKA_PORT)) {
    const error = await kafkaAnswers();
    if (error) throw new InfraError('kafka', `${HOST}:${KAFKA_PORT} is taken, but no Kafka broker answers there (${error.message})`);
    const whose = ownPid && runs(ownPid, 'kafka.Kafka') ? `started earlier by infra.mjs, pid ${ownPid}` : 'not started by this infra.mjs';
    // The jars here all the same: the broker-restart suite starts a broker of its own from them.
    const fetched = libsCurrent(libDir) ? '' : await fetchKafkaLibs(kafkaDir, libDir).then(() => `; fetched its jars in ${seconds(since)}`);
    return { started: false, line: `reused the broker on ${KAFKA_BROKERS} (${whose}) in ${seconds(since)}${fetched}` };
  }
  if (ownPid && runs(ownPid, 'kafka.Kafka')) {
    // An earlier `up` was interrupted while the broker started: wait for that one rather than start a second.
    await waitForKafkaClient(Date.now() + KAFKA_START_TIMEOUT_MS, logFile, () => (runs(ownPid, 'kafka.Kafka') ? null : 'gone'));
    return { started: false, line: `waited for the broker started earlier (pid ${ownPid}) for ${seconds(since)}` };
  }

  if (await portOpen(KAFKA_CONTROLLER_PORT)) {
    throw new InfraError('kafka', `${HOST}:${KAFKA_CONTROLLER_PORT}, the controller port, is taken by another process`);
  }
  const steps = [];
  if (!libsCurrent(libDir)) {
    const fetchSince = Date.now();
    await fetchKafkaLibs(kafkaDir, libDir);
    steps.push(`Maven ${seconds(fetchSince)}`);
  }
  const java = javaBinary();
  const classPath = join(libDir, '*'); // expanded by java itself
  const log4j = `-Dlog4j.configuration=file:${join(here, 'kafka', 'log4j.properties')}`;
  const properties = join(kafkaDir, 'server.properties');
  writeFileSync(properties, readFileSync(join(here, 'kafka', 'server.properties'), 'utf8').replaceAll('__DATA_DIR__', dataDir));

  const id = clusterId(kafkaDir, dataDir);
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const formatSince = Date.now();
    // "--cluster-id=": an id may start with "-", which the parser would read as an option after "-t".
    const format = await run(java, ['-Xmx256m', log4j, '-cp', classPath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${id}`, '-c', properties, '--ignore-formatted'], { cwd: kafkaDir });
    writeFileSync(logFile, `${format.output}`, { flag: 'a' });
    if (format.code !== 0) throw new InfraError('kafka', `kafka-storage format failed (exit ${format.code})`, logFile);
    steps.push(`format ${seconds(formatSince)}`);
  }

  const startSince = Date.now();
  const offset = existsSync(logFile) ? statSync(logFile).size : 0;
  const log = openSync(logFile, 'a');
  // The JVM flags of Kafka's kafka-server-start.sh / kafka-run-class.sh, with a heap for a test broker.
  const broker = spawn(
    java,
    ['-Xms256m', '-Xmx512m', '-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35',
      '-XX:+ExplicitGCInvokesConcurrent', '-XX:MaxInlineLevel=15', '-Djava.awt.headless=true',
      `-Dkafka.logs.dir=${join(kafkaDir, 'logs')}`, log4j, '-cp', classPath, 'kafka.Kafka', properties],
    { cwd: kafkaDir, detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let exited = null;
  broker.once('exit', (code, signal) => (exited = signal ?? code));
  broker.once('error', (error) => (exited = error.message));
  broker.unref();
  spawned.kafka = true;
  writeFileSync(pidFile, `${broker.pid}\n`);

  const deadline = Date.now() + KAFKA_START_TIMEOUT_MS;
  const startedLine = () => {
    const fd = openSync(logFile, 'r');
    try {
      const size = statSync(logFile).size;
      const buffer = Buffer.alloc(Math.max(0, size - offset));
      readSync(fd, buffer, 0, buffer.length, offset);
      return buffer.toString('utf8').includes('Kafka Server started');
    } finally {
      closeSync(fd);
    }
  };
  while (!startedLine()) {
    if (exited !== null) {
      rmSync(pidFile, { force: true });
      throw new InfraError('kafka', `the broker exited during start-up (${exited})`, logFile);
    }
    if (Date.now() > deadline) throw new InfraError('kafka', `no "Kafka Server started" after ${KAFKA_START_TIMEOUT_MS / 1000} s`, logFile);
    await sleep(250);
  }
  await waitForKafkaClient(deadline, logFile, () => exited);
  steps.push(`start ${seconds(startSince)}`);
  const warmSince = Date.now();
  try {
    await warmUpKafka();
  } catch (error) {
    throw new InfraError('kafka', `the broker answers, but a consumer group or an idempotent producer fails: ${error.message}`, logFile);
  }
  steps.push(`warm-up ${seconds(warmSince)}`);
  return { started: true, line: `started Kafka (KRaft, pid ${broker.pid}; ${steps.join(', ')}) in ${seconds(since)}; cluster id ${id}` };
}

// ---------------------------------------------------------------------------------------------
// The API

const defaultLog = (line) => process.stdout.write(`${line}\n`);
const label = (component) => component.padEnd(9);

/**
 * Brings PostgreSQL and Kafka up, reusing running ones. Resolves with where they are and which of
 * them this call started (stop exactly those with `down(started)`). Rejects with an InfraError
 * whose `started` tells what was started before the failure.
 */
export async function up({ log = defaultLog } = {}) {
  const dir = stateDir();
  mkdirSync(dir, { recursive: true });
  return withLock(dir, async () => {
    // Install what a fresh Debian machine lacks in one apt-get run, before the two start in parallel.
    const needPostgres = !(await portOpen(PG_PORT));
    const needKafka = !(await portOpen(KAFKA_PORT));
    const packages = [];
    if (needPostgres && !findPostgres()) packages.push(`postgresql-${PG_MAJOR}`);
    if (needKafka && !javaBinary()) packages.push('openjdk-17-jre-headless');
    if (!libsCurrent(join(dir, 'kafka', 'lib')) && !which('mvn')) packages.push('maven');
    if (packages.length > 0) {
      const since = Date.now();
      log(`${label('packages')} installing ${packages.join(' ')} with apt-get…`);
      try {
        await aptInstall(packages);
      } catch (error) {
        throw Object.assign(new InfraError('packages', error.message), { started: { postgres: false, kafka: false } });
      }
      log(`${label('packages')} installed in ${seconds(since)}`);
    }
    const bin = needPostgres ? findPostgres() : null;
    if (needPostgres && !bin) {
      throw Object.assign(new InfraError('postgres', `no PostgreSQL ${PG_MAJOR} found; set M2M_PG_BIN to its bin directory`), {
        started: { postgres: false, kafka: false },
      });
    }

    // What this call spawned, so that a caller can stop it even when start-up failed half-way.
    const spawned = { postgres: false, kafka: false };
    const [postgres, kafka] = await Promise.allSettled([upPostgres(dir, bin, spawned), upKafka(dir, spawned)]);
    const started = {
      postgres: postgres.status === 'fulfilled' ? postgres.value.started : spawned.postgres,
      kafka: kafka.status === 'fulfilled' ? kafka.value.started : spawned.kafka,
    };
    if (postgres.status === 'fulfilled') log(`${label('postgres')} ${postgres.value.line} → ${DATABASE_URL}`);
    if (kafka.status === 'fulfilled') log(`${label('kafka')} ${kafka.value.line} → ${KAFKA_BROKERS}`);
    const failures = [postgres, kafka].filter((result) => result.status === 'rejected').map((result) => result.reason);
    if (failures.length > 0) {
      const [error] = failures;
      if (failures.length > 1) error.message = failures.map((failure) => failure.message).join('\n\n');
      throw Object.assign(error, { started });
    }
    return { databaseUrl: DATABASE_URL, kafkaBrokers: KAFKA_BROKERS, started };
  });
}

async function stop(dir, component, marker, signal, log) {
  const since = Date.now();
  const pidFile = join(dir, `${component}.pid`);
  const pid = Number(readText(pidFile));
  if (!pid) {
    log(`${label(component)} nothing to stop (no pid file: not started by infra.mjs)`);
    return;
  }
  if (!runs(pid, marker)) {
    rmSync(pidFile, { force: true });
    log(`${label(component)} was not running (stale pid file ${pid} removed)`);
    return;
  }
  process.kill(pid, signal);
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) {
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(100);
    log(`${label(component)} killed pid ${pid} after ${STOP_TIMEOUT_MS / 1000} s without exit`);
  } else {
    log(`${label(component)} stopped pid ${pid} in ${seconds(since)}`);
  }
  rmSync(pidFile, { force: true });
}

/** Stops what `up` started (by pid file); pass `up()`'s `started` to stop only what that call started. */
export async function down({ postgres = true, kafka = true, log = defaultLog } = {}) {
  const dir = stateDir();
  if (!existsSync(dir)) return;
  await Promise.all([
    // SIGINT: PostgreSQL's "fast" shutdown (SIGTERM waits for every client to disconnect).
    postgres ? stop(dir, 'postgres', 'postgres', 'SIGINT', log) : null,
    // SIGTERM runs kafka.Kafka's shutdown hook: a controlled shutdown.
    kafka ? stop(dir, 'kafka', 'kafka.Kafka', 'SIGTERM', log) : null,
  ]);
}

export async function status({ log = defaultLog } = {}) {
  const dir = stateDir();
  const report = async (component, port, marker, probe) => {
    const pid = Number(readText(join(dir, `${component}.pid`)));
    const own = pid && runs(pid, marker) ? `started by infra.mjs, pid ${pid}` : 'not started by infra.mjs';
    if (!(await portOpen(port))) return `${label(component)} down${pid && runs(pid, marker) ? ` (pid ${pid} runs but does not listen yet)` : ''}`;
    const error = await probe();
    return `${label(component)} ${error ? `port ${port} open but unusable: ${error.message}` : 'up'} (${own})`;
  };
  log(await report('postgres', PG_PORT, 'postgres', () => pgQuery(DATABASE_URL, ['SELECT 1'])));
  log(await report('kafka', KAFKA_PORT, 'kafka.Kafka', kafkaAnswers));
  log(`${label('state')} ${dir}`);
}

/** Stops what `up` started and deletes all state (data, logs, jars): the next `up` starts from nothing. */
export async function reset({ log = defaultLog } = {}) {
  await down({ log });
  const dir = stateDir();
  const pidsLeft = existsSync(dir) && readdirSync(dir).some((name) => name.endsWith('.pid'));
  if (pidsLeft) throw new InfraError('reset', `pid files remain in ${dir}; not deleting`);
  for (const path of postgresDataDirs(dir)) rmSync(path, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  log(`${label('state')} deleted ${dir}`);
}

// ---------------------------------------------------------------------------------------------
// The command line

const main = async (command) => {
  const since = Date.now();
  switch (command) {
    case 'up':
      await up();
      process.stdout.write(`infra up in ${seconds(since)} (state in ${stateDir()})\n`);
      return;
    case 'down':
      return down();
    case 'status':
      return status();
    case 'reset':
      return reset();
    default:
      throw new Error(`usage: node tools/infra/infra.mjs up|down|status|reset (got ${command ?? 'nothing'})`);
  }
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv[2]).then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
