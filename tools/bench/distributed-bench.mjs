// The distributed mode under load, for the bench harness: the registry,
// challenge and audit services and the gateway as four processes (from dist/,
// wired as `npm run start:distributed` wires them) over the local Kafka and
// PostgreSQL (tools/infra), everything on this one machine with the load
// generator. A harness, not a test. Measures:
//
//   1. full authentications (POST /v1/challenges, sign the nonce with
//      node:crypto, POST /v1/challenges/verify) through the gateway's HTTP API
//      at BENCH_DIST_CONCURRENCY devices: auth/s, p50/p99 of one authentication;
//   2. the audit lag after that load: how long until the audit log (PostgreSQL,
//      fed from Kafka) holds every event the load caused;
//   3. revocation-to-queryable: from a revoke's HTTP answer until
//      GET /epcis/events?MATCH_anyEPC=…&EQ_bizStep=decommissioning returns it
//      (polled every 5 ms), one device at a time, idle and under the same load;
//   4. where the CPU went during the measured load: /proc/<pid>/stat
//      utime+stime of each service, Kafka's JVM, the PostgreSQL backends of
//      these services (and the rest of PostgreSQL), the load generator, and
//      what the rest of the machine used meanwhile.
//
// Each run uses its own schemas (bench_<id>_registry, …) and topics
// (bench-<id>.…), dropped/deleted at the end. Infrastructure started by it is
// left running (npm run infra:down stops it).
//
//   import { benchDistributed } from './distributed-bench.mjs';
//   const result = await benchDistributed({ seconds: 20 });
//
//   node tools/bench/distributed-bench.mjs          # alone (build first: node tools/scripts/build.mjs)
//   BENCH_ONLY=distributed npm run bench            # the same, through the harness
//   BENCH_DIST_SECONDS=20 BENCH_DIST_WARMUP_SECONDS=5 BENCH_DIST_CONCURRENCY=64 BENCH_REVOCATIONS=50
//   BENCH_DIST_PROFILE=tmp/prof    # each service also writes a V8 CPU profile of the measured window there
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';
import { Pool } from 'undici';

import { DATABASE_URL, KAFKA_BROKERS, up } from '../infra/infra.mjs';

const require = createRequire(import.meta.url);
const { ROOT, GENEROUS_RATE_LIMITS, freePort, gatewayDatabaseEnv, serviceEnv, startApp } = require('../scripts/cluster.cjs');

const CLK_TCK = 100; // USER_HZ on Linux
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const defaultLog = (line) => process.stderr.write(`[bench:distributed] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// HTTP client and load generator (the embedded bench's, in compact form)

function newDevice(tag) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { deviceId: `bench-${tag}`, publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url').toString('hex'), privateKey };
}

async function json(pool, method, path, body, headers = {}) {
  const res = await pool.request({
    method,
    path,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

/**
 * `concurrency` workers, each authenticating its own device in a loop until
 * `stop()` says so. Every verify that got an answer counts in `answered`
 * (success or an audited failure); only verified ones count in the latencies.
 */
function loadGenerator(pool, devices) {
  const state = { latencies: [], errors: 0, statuses: {}, answered: 0, record: false, running: true };
  const authenticate = async (device) => {
    const c = await json(pool, 'POST', '/v1/challenges', { deviceId: device.deviceId });
    if (c.status !== 201) {
      state.statuses[`challenge ${c.status}`] = (state.statuses[`challenge ${c.status}`] ?? 0) + 1;
      return false;
    }
    const signature = sign(null, Buffer.from(c.body.nonce, 'utf8'), device.privateKey).toString('hex');
    const v = await json(pool, 'POST', '/v1/challenges/verify', { challengeId: c.body.id, signature });
    if (v.status < 500) state.answered++;
    if (v.status === 200 && v.body.verified === true) return true;
    state.statuses[`verify ${v.status}`] = (state.statuses[`verify ${v.status}`] ?? 0) + 1;
    return false;
  };
  const done = Promise.all(
    devices.map(async (device) => {
      while (state.running) {
        const t0 = performance.now();
        let ok = false;
        try {
          ok = await authenticate(device);
        } catch (error) {
          state.statuses[error.code ?? error.name] = (state.statuses[error.code ?? error.name] ?? 0) + 1;
        }
        if (!state.record) continue;
        if (ok) state.latencies.push(performance.now() - t0);
        else state.errors++;
      }
    }),
  );
  return {
    state,
    /** Starts recording: latencies and errors from now on. */
    record() {
      state.latencies = [];
      state.errors = 0;
      state.statuses = {};
      state.record = true;
      return performance.now();
    },
    async stop() {
      state.running = false;
      await done;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc

/** utime + stime of a process and all its threads, in seconds; NaN when it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime (14), stime (15)
  } catch {
    return NaN;
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat), in CPU-seconds. */
function machineSeconds() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = values.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
  return { busy: (total - n[3] - n[4]) / CLK_TCK, total: total / CLK_TCK };
}

function childrenOf(ppid) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The TCP connections a process holds, as [local port, remote port] (to pair PostgreSQL backends with their clients). */
function connections(pid) {
  const inodes = new Set();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const pairs = [];
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9])) pairs.push([parseInt(cols[1].split(':')[1], 16), parseInt(cols[2].split(':')[1], 16)]);
    }
  }
  return pairs;
}

const readPid = (file) => {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || null;
  } catch {
    return null;
  }
};

/**
 * The processes to account: the four services, Kafka (its pid file in the
 * infra state dir), the PostgreSQL backends serving those services (matched
 * by their sockets' ports) and the rest of PostgreSQL (postmaster,
 * WAL writer, checkpointer, other clients' backends).
 */
function cpuGroups(services) {
  const stateDir = process.env.M2M_INFRA_DIR ?? join(ROOT, 'tmp', 'infra');
  const groups = services.map((s) => ({ key: s.name, name: s.name, pids: [s.pid] }));
  const kafka = readPid(join(stateDir, 'kafka.pid'));
  if (kafka) groups.push({ key: 'kafka', name: 'kafka (JVM)', pids: [kafka] });
  const postmaster = readPid(join(stateDir, 'postgres.pid'));
  if (postmaster) {
    // A backend's socket has the client's port as its remote port (pg_stat_activity hides other roles' ports).
    const backends = childrenOf(postmaster).map((pid) => ({ pid, clients: new Set(connections(pid).map(([, remote]) => remote)) }));
    const rest = new Set(backends.map((b) => b.pid));
    for (const s of services) {
      const ports = new Set(connections(s.pid).map(([local]) => local));
      const mine = backends.filter((b) => [...b.clients].some((port) => ports.has(port))).map((b) => b.pid);
      mine.forEach((pid) => rest.delete(pid));
      if (mine.length) groups.push({ key: `postgres ← ${s.name}`, name: `postgres ← ${s.name} (${mine.length} backends)`, pids: mine });
    }
    groups.push({ key: 'postgres (rest)', name: 'postgres (rest)', pids: [postmaster, ...rest] });
  }
  return groups;
}

function cpuSnapshot(groups) {
  return { at: performance.now(), self: process.cpuUsage(), machine: machineSeconds(), groups: groups.map((g) => g.pids.map((pid) => cpuSeconds(pid))) };
}

/**
 * CPU per group over a window: cores used and µs per authentication; with the
 * same processes' report for an idle window, also the marginal µs per
 * authentication (what the load added on top of polling and timers).
 */
function cpuReport(groups, before, after, operations, idle) {
  const wall = (after.at - before.at) / 1000;
  const rows = groups.map((g, i) => {
    let seconds = 0;
    g.pids.forEach((_, j) => {
      const d = after.groups[i][j] - before.groups[i][j];
      if (Number.isFinite(d)) seconds += d; // a backend that ended meanwhile is not counted
    });
    return { key: g.key, name: g.name, cpuSeconds: seconds };
  });
  const self = (after.self.user + after.self.system - before.self.user - before.self.system) / 1e6;
  rows.push({ key: 'load generator', name: 'load generator (this process)', cpuSeconds: self });
  const accounted = rows.reduce((a, r) => a + r.cpuSeconds, 0);
  const busy = after.machine.busy - before.machine.busy;
  rows.push({ key: 'rest', name: 'rest of the machine', cpuSeconds: Math.max(0, busy - accounted) });
  const capacity = after.machine.total - before.machine.total;
  return {
    wallSeconds: wall,
    machineBusyPercent: (100 * busy) / capacity,
    rows: rows.map((r) => {
      const cores = r.cpuSeconds / wall;
      const row = { ...r, cores, microsecondsPerAuth: operations ? (1e6 * r.cpuSeconds) / operations : NaN };
      const idleCores = r.key === 'rest' || r.key === 'load generator' ? undefined : idle?.rows.find((x) => x.key === r.key)?.cores;
      if (idleCores === undefined) return row;
      return { ...row, idleCores, marginalMicrosecondsPerAuth: operations ? (1e6 * (cores - idleCores) * wall) / operations : NaN };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// The cluster

/** The audit service runs as a role that may only read and append its log, as start-distributed.mjs does it. */
async function auditRoleUrl(admin, databaseUrl) {
  const exists = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'm2m_audit'");
  if (exists.rowCount === 0) {
    await admin.query("CREATE ROLE m2m_audit LOGIN PASSWORD 'm2m_audit'").catch((error) => {
      if (error.code !== '42710' && error.code !== '23505') throw error; // created concurrently by someone else
    });
  }
  const url = new URL(databaseUrl);
  url.username = 'm2m_audit';
  url.password = 'm2m_audit';
  return url.toString();
}

/**
 * --require'd into each service with BENCH_DIST_PROFILE: the V8 profiler runs
 * while the file "profiling" exists in that directory (the measured window),
 * and the profile is written when it goes. (Not a signal: Nest's shutdown
 * hooks listen to SIGUSR2 as well; not --cpu-prof: refused in NODE_OPTIONS.)
 */
const PROFILE_PRELOAD = `'use strict';
const { Session } = require('node:inspector');
const { existsSync, writeFileSync } = require('node:fs');
const { basename, dirname, join } = require('node:path');
const dir = process.env.M2M_BENCH_PROFILE_DIR;
const session = new Session();
session.connect();
let running = false;
setInterval(() => {
  const wanted = existsSync(join(dir, 'profiling'));
  if (wanted && !running) {
    running = true;
    session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
  } else if (!wanted && running) {
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      const app = basename(dirname(dirname(process.argv[1] || 'node')));
      writeFileSync(join(dir, app + '-' + process.pid + '.cpuprofile'), JSON.stringify(result.profile));
    });
  }
}, 50).unref();
`;

async function startCluster({ databaseUrl, kafkaBrokers, admin, id, log, profileDir }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'm2m-bench-dist-'));
  const adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  const base = { databaseUrl, kafkaBrokers, adminKey, dataDir, schemaPrefix: `bench_${id}_`, topicPrefix: `bench-${id}.` };
  // BENCH_DIST_PROFILE=dir: each service profiles itself (V8 CPU profile) over the measured window (PROFILE_PRELOAD).
  let prof = {};
  if (profileDir) {
    mkdirSync(resolve(profileDir), { recursive: true });
    const preload = join(dataDir, 'profile-preload.cjs');
    writeFileSync(preload, PROFILE_PRELOAD);
    prof = { NODE_OPTIONS: `--require ${preload}`, M2M_BENCH_PROFILE_DIR: resolve(profileDir) };
  }
  const port = await freePort();
  const audience = `http://127.0.0.1:${port}`;
  const started = [];
  const cluster = { base, dataDir, adminKey, services: started, gateway: null };
  try {
    const auditUrl = await auditRoleUrl(admin, databaseUrl);
    // The registry checks every managed API key for the others, so they are told its gRPC port before it listens.
    const registryGrpcPort = await freePort();
    const askRegistry = { M2M_REGISTRY_GRPC_URL: `127.0.0.1:${registryGrpcPort}` };
    const apps = await Promise.allSettled([
      startApp('registry-service', { ...serviceEnv('registry', base), GRPC_PORT: String(registryGrpcPort), ...prof }),
      startApp('challenge-service', { ...serviceEnv('challenge', base), ...askRegistry, M2M_AUDIENCE: audience, M2M_TOKEN_ISSUER: audience, ...GENEROUS_RATE_LIMITS, ...prof }),
      startApp('audit-service', { ...serviceEnv('audit', base), ...askRegistry, M2M_DATABASE_URL: auditUrl, M2M_DATABASE_MIGRATION_URL: databaseUrl, ...GENEROUS_RATE_LIMITS, ...prof }),
    ]);
    for (const app of apps) if (app.status === 'fulfilled') started.push(app.value);
    const failed = apps.find((app) => app.status === 'rejected');
    if (failed) throw failed.reason;
    const [registry, challenge, audit] = started;
    const gateway = await startApp('gateway', {
      PORT: String(port),
      GRPC_PORT: '0',
      M2M_ADMIN_API_KEY: adminKey,
      M2M_LOG_LEVEL: 'info',
      M2M_DATA_DIR: join(dataDir, 'gateway'),
      M2M_REGISTRY_GRPC_URL: registry.grpcUrl,
      M2M_REGISTRY_URL: registry.url,
      M2M_CHALLENGE_GRPC_URL: challenge.grpcUrl,
      M2M_CHALLENGE_URL: challenge.url,
      M2M_AUDIT_URL: audit.url,
      // Limits on, in PostgreSQL as deployed, but out of reach of the load's one address.
      ...gatewayDatabaseEnv(base),
      ...GENEROUS_RATE_LIMITS,
      ...prof,
    });
    started.push(gateway);
    cluster.gateway = gateway;
    log(`cluster up: gateway ${gateway.url}; registry ${registry.grpcUrl}, challenge ${challenge.grpcUrl}, audit ${audit.url}; schemas ${base.schemaPrefix}*, topics ${base.topicPrefix}*`);
    return cluster;
  } catch (error) {
    await stopCluster(cluster, { admin, kafkaBrokers, log });
    throw error;
  }
}

async function stopCluster(cluster, { admin, kafkaBrokers, log }) {
  // The gateway first, so no request reaches a service that is going away.
  for (const app of [...cluster.services].reverse()) await app.stop('SIGTERM');
  const { schemaPrefix, topicPrefix } = cluster.base;
  for (const kind of ['registry', 'challenge', 'audit', 'gateway']) {
    await admin.query(`DROP SCHEMA IF EXISTS "${schemaPrefix}${kind}" CASCADE`).catch((error) => log(`could not drop schema ${schemaPrefix}${kind}: ${error.message}`));
  }
  const { Kafka, logLevel } = require('kafkajs');
  const kafkaAdmin = new Kafka({ clientId: 'm2m-bench', brokers: [kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
  try {
    await kafkaAdmin.connect();
    const topics = (await kafkaAdmin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    const { groups } = await kafkaAdmin.listGroups();
    const ours = groups.map((g) => g.groupId).filter((g) => g.startsWith(topicPrefix));
    if (ours.length) await kafkaAdmin.deleteGroups(ours).catch(() => undefined);
    if (topics.length) await kafkaAdmin.deleteTopics({ topics });
  } catch (error) {
    log(`could not delete topics ${topicPrefix}*: ${error.message}`);
  } finally {
    await kafkaAdmin.disconnect().catch(() => undefined);
  }
  rmSync(cluster.dataDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// The measurements

async function register(pool, adminKey, devices) {
  // A few at a time: each registration waits for the challenge service to see the device.
  for (let i = 0; i < devices.length; i += 8) {
    await Promise.all(
      devices.slice(i, i + 8).map(async (d) => {
        const r = await json(pool, 'POST', '/v1/devices', { deviceId: d.deviceId, publicKey: d.publicKey }, { 'x-api-key': adminKey });
        if (r.status !== 201) throw new Error(`registration of ${d.deviceId} failed: ${r.status} ${JSON.stringify(r.body)}`);
      }),
    );
  }
}

/** The audit log's head (its seq is dense from 1, so it counts the records). */
async function auditHead(admin, schema) {
  const { rows } = await admin.query(`SELECT coalesce(max(seq), 0)::int AS n FROM "${schema}".audit_events`);
  return rows[0].n;
}

async function auditLag(admin, schema, expected, timeoutMs = 60_000) {
  const start = performance.now();
  const atEnd = await auditHead(admin, schema);
  let head = atEnd;
  while (head < expected && performance.now() - start < timeoutMs) {
    await sleep(5);
    head = await auditHead(admin, schema);
  }
  return { expected, behindAtEnd: expected - atEnd, lagMs: head >= expected ? performance.now() - start : NaN, head };
}

/** Revokes each device in turn and polls the EPCIS query until its decommissioning event is there. */
async function revocationsToQueryable(pool, adminKey, devices, pollMs = 5) {
  const delays = [];
  const failures = [];
  for (const d of devices) {
    const revoked = await json(pool, 'POST', `/v1/devices/${encodeURIComponent(d.deviceId)}/revoke`, { reason: 'bench' }, { 'x-api-key': adminKey });
    const t0 = performance.now();
    if (revoked.status !== 200) {
      failures.push(`revoke ${revoked.status}`);
      continue;
    }
    const query = `/epcis/events?MATCH_anyEPC=${encodeURIComponent(`urn:m2m-trust:device:${d.deviceId}`)}&EQ_bizStep=decommissioning`;
    let found = false;
    while (performance.now() - t0 < 30_000) {
      const r = await json(pool, 'GET', query, undefined, { 'x-api-key': adminKey });
      if (r.status === 200 && r.body.epcisBody.queryResults.resultsBody.eventList.length > 0) {
        found = true;
        break;
      }
      if (r.status !== 200) failures.push(`query ${r.status}`);
      await sleep(pollMs);
    }
    if (found) delays.push(performance.now() - t0);
    else failures.push('not queryable within 30 s');
  }
  delays.sort((a, b) => a - b);
  return { revocations: devices.length, p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays.at(-1) ?? NaN, failures };
}

async function measure({ cluster, admin, id, seconds, warmupSeconds, concurrency, revocations, profileDir, log, generators }) {
  const { gateway, adminKey, base } = cluster;
  const auditSchema = `${base.schemaPrefix}audit`;
  const loadBefore = loadavg()[0];
  const pool = new Pool(gateway.url, { connections: concurrency + 4, pipelining: 1 });
  const generate = (devices) => {
    const generator = loadGenerator(pool, devices);
    generators.push(generator);
    return generator;
  };
  try {
    const devices = Array.from({ length: concurrency }, (_, i) => newDevice(`${id}-${i}`));
    const revokees = Array.from({ length: 2 * revocations }, (_, i) => newDevice(`${id}-r${i}`));
    await register(pool, adminKey, [...devices, ...revokees]);
    const registrations = devices.length + revokees.length;
    await auditLag(admin, auditSchema, registrations); // the registrations are in the log before the load starts
    // The cluster idle (polling, timers) for a baseline.
    await sleep(1000);
    const idleGroups = cpuGroups(cluster.services);
    const idleBefore = cpuSnapshot(idleGroups);
    await sleep(3000);
    const idle = cpuReport(idleGroups, idleBefore, cpuSnapshot(idleGroups), 0);

    // 1. Authentications: warm-up, then the measured window with CPU accounting (and profiles).
    log(`load: ${concurrency} devices, ${warmupSeconds} s warm-up + ${seconds} s`);
    const load = generate(devices);
    await sleep(warmupSeconds * 1000);
    const groups = cpuGroups(cluster.services);
    const flag = profileDir && join(resolve(profileDir), 'profiling');
    if (flag) writeFileSync(flag, '');
    await sleep(flag ? 200 : 0);
    const before = cpuSnapshot(groups);
    const start = load.record();
    await sleep(seconds * 1000);
    const after = cpuSnapshot(groups);
    const { latencies, errors, statuses } = load.state;
    const elapsed = (performance.now() - start) / 1000;
    const ops = latencies.length;
    await load.stop();
    if (flag) rmSync(flag, { force: true });
    const sorted = [...latencies].sort((a, b) => a - b);
    const authentications = { concurrency, seconds: elapsed, ops, perSecond: ops / elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors, statuses };
    const cpu = cpuReport(groups, before, after, ops, idle);

    // 2. Audit lag: until the log holds every registration and every answered verify (success or audited failure).
    const audit = await auditLag(admin, auditSchema, registrations + load.state.answered);

    // 3. Revocation-to-queryable, idle, then under the same load (the other devices).
    log(`revocations: ${revocations} idle, ${revocations} under load`);
    const quiet = await revocationsToQueryable(pool, adminKey, revokees.slice(0, revocations));
    const background = generate(devices);
    background.record();
    const t0 = performance.now();
    const loaded = await revocationsToQueryable(pool, adminKey, revokees.slice(revocations));
    const backgroundRate = background.state.latencies.length / ((performance.now() - t0) / 1000);
    await background.stop();

    return {
      machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
      authentications,
      audit,
      revocation: { idle: quiet, underLoad: { ...loaded, backgroundAuthPerSecond: backgroundRate } },
      cpu,
      // The 1-minute load average: anything else running on the machine shows here.
      loadAverage: { before: loadBefore, after: loadavg()[0] },
    };
  } finally {
    // Stop the workers before the pool closes: on a closed pool they would spin on immediate rejections.
    await Promise.all(generators.map((g) => g.stop()));
    await pool.close();
  }
}

/**
 * @param {{ seconds?: number, warmupSeconds?: number, concurrency?: number, revocations?: number, profileDir?: string, log?: (line: string) => void }} options
 */
export async function benchDistributed({ seconds = 20, warmupSeconds = 5, concurrency = 64, revocations = 50, profileDir = undefined, log = defaultLog } = {}) {
  const infra = await up({ log });
  const databaseUrl = infra?.databaseUrl ?? DATABASE_URL;
  const kafkaBrokers = infra?.kafkaBrokers ?? KAFKA_BROKERS;
  const admin = new pg.Client({ connectionString: databaseUrl, application_name: 'm2m-bench' });
  await admin.connect();
  const id = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const generators = [];
  let cluster;
  let done = false;
  const cleanUp = async () => {
    done = true;
    for (const g of generators) g.state.running = false;
    if (cluster) await stopCluster(cluster, { admin, kafkaBrokers, log });
    await admin.end();
  };
  // Ctrl-C: the services get it too (same process group); drop this run's schemas and topics before exiting.
  const onSignal = () => void cleanUp().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  try {
    cluster = await startCluster({ databaseUrl, kafkaBrokers, admin, id, log, profileDir });
    // A service that exits mid-run fails the bench at once rather than leaving it to time out.
    const died = Promise.race(
      cluster.services.map((app) =>
        app.exited.then((code) => {
          if (!done) throw new Error(`${app.name} exited (${code}) during the bench:\n${app.output().slice(-3000)}`);
          return new Promise(() => undefined);
        }),
      ),
    );
    return await Promise.race([measure({ cluster, admin, id, seconds, warmupSeconds, concurrency, revocations, profileDir, log, generators }), died]);
  } finally {
    process.removeListener('SIGINT', onSignal);
    await cleanUp();
  }
}

/** Prints the result as the harness prints its parts. */
export function printDistributed(r) {
  const a = r.authentications;
  console.log(`\ndistributed mode over HTTP (gateway + registry, challenge, audit services; Kafka, PostgreSQL; all on this machine)`);
  console.log('concurrency | auth/s  | p50 ms | p99 ms | errors | target');
  console.log(`${String(a.concurrency).padStart(11)} | ${fmt(a.perSecond, 0).padStart(7)} | ${fmt(a.p50, 2).padStart(6)} | ${fmt(a.p99, 2).padStart(6)} | ${String(a.errors).padStart(6)} | ${a.perSecond >= 2000 && a.p99 < 50 ? 'met' : 'missed'} (≥ 2,000/s, p99 < 50 ms)`);
  if (a.errors) console.log(`  errors: ${JSON.stringify(a.statuses)}`);
  console.log(
    `audit lag after the load: ${fmt(r.audit.lagMs, 0)} ms until the log held all ${r.audit.expected} events (${r.audit.behindAtEnd} behind when the load stopped)`,
  );
  const rv = (label, x) =>
    console.log(`${label.padEnd(36)} | ${String(x.revocations).padStart(7)} | ${fmt(x.p50, 1).padStart(6)} | ${fmt(x.p99, 1).padStart(6)} | ${fmt(x.max, 1).padStart(6)} | ${x.failures.length ? x.failures.slice(0, 3).join(', ') : x.p99 < 1000 ? 'met (p99 < 1 s)' : 'missed (p99 < 1 s)'}`);
  console.log('\nrevocation → queryable in /epcis/events (polled every 5 ms)');
  console.log(`${''.padEnd(36)} | devices | p50 ms | p99 ms | max ms | target / failures`);
  rv('idle', r.revocation.idle);
  rv(`under load (${fmt(r.revocation.underLoad.backgroundAuthPerSecond, 0)} auth/s meanwhile)`, r.revocation.underLoad);
  console.log(`\nCPU during the measured ${fmt(r.cpu.wallSeconds, 1)} s (machine ${fmt(r.cpu.machineBusyPercent, 0)}% busy; load average ${fmt(r.loadAverage.before, 2)} before, ${fmt(r.loadAverage.after, 2)} after)`);
  console.log(`${'process'.padEnd(42)} | cores | idle cores | µs per auth | marginal µs per auth`);
  for (const row of r.cpu.rows) {
    console.log(
      `${row.name.padEnd(42)} | ${fmt(row.cores, 2).padStart(5)} | ${fmt(row.idleCores ?? NaN, 2).padStart(10)} | ${fmt(row.microsecondsPerAuth, 0).padStart(11)} | ${fmt(row.marginalMicrosecondsPerAuth ?? NaN, 0).padStart(20)}`,
    );
  }
  const mine = r.cpu.rows.filter((row) => row.key !== 'rest');
  const total = mine.reduce((a, row) => a + row.microsecondsPerAuth, 0);
  console.log(`${'all of the above but the rest of the machine'.padEnd(42)} | ${fmt(mine.reduce((a, row) => a + row.cores, 0), 2).padStart(5)} | ${''.padStart(10)} | ${fmt(total, 0).padStart(11)} | → ~${fmt((cpus().length * 1e6) / total, 0)} auth/s on ${cpus().length} idle cores at this cost`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await benchDistributed({
    seconds: Number(process.env.BENCH_DIST_SECONDS ?? 20),
    warmupSeconds: Number(process.env.BENCH_DIST_WARMUP_SECONDS ?? 5),
    concurrency: Number(process.env.BENCH_DIST_CONCURRENCY ?? 64),
    revocations: Number(process.env.BENCH_REVOCATIONS ?? 50),
    profileDir: process.env.BENCH_DIST_PROFILE || undefined,
  });
  printDistributed(result);
  const out = join(ROOT, 'tmp', 'bench-distributed-results.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`\nresults: ${out}`);
  process.exit(0);
}
