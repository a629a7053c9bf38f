// EPCIS query latency at scale: for each size, a fresh data directory is
// migrated by the real gateway (dist/), filled with synthetic audit events
// through the synchronous projection (SqliteAuditLogProjection from dist/,
// inside one transaction per chunk: exactly the rows a running server's audit
// writer puts in its audit file), and then the gateway is started on it and filtered first pages are
// timed over HTTP, one request at a time, as an auditor would send them.
//
//   node -e "import('./tools/bench/audit-query-bench.mjs').then(m => m.benchAuditQueries({ sizes: [10000], samples: 50 })).then(console.log)"
//
// Needs `npm run build` first. Returns [{ size, query, p50, p99 }] in milliseconds.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Pool } from 'undici';

import { GENEROUS_RATE_LIMITS } from '../scripts/cluster.cjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const ADMIN_KEY = 'audit-bench-admin-key-0123456789abcdef';
const DAY = 86_400_000;
/** The synthetic log spans a year ending now, so time windows and "newest first" mean what they would in production. */
const SPAN_MS = 365 * DAY;
const REASONS = ['SIGNATURE_INVALID', 'CHALLENGE_EXPIRED', 'CHALLENGE_ALREADY_USED', 'SIGNATURE_NON_CANONICAL'];

/** Deterministic, so two runs of one size query the same data. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (ms) => Math.round(ms * 1000) / 1000;

/** A free loopback port: the gateway runs at warn level (no access log in the timings), so it cannot tell us which port it took. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startGateway(dataDir) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'dist/apps/gateway/src/main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      GRPC_PORT: '0',
      M2M_DATA_DIR: dataDir,
      M2M_ADMIN_API_KEY: ADMIN_KEY,
      M2M_LOG_LEVEL: 'warn',
      ...GENEROUS_RATE_LIMITS,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (chunk) => {
    out += chunk;
    if (out.length > 1e6) out = out.slice(-1e5);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`gateway exited with ${await exited}:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not start in 120 s:\n${out}`);
    }
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The synthetic fleet: registrations, then authentications (about 5% failing), and some revocations, in time order. */
function* syntheticEvents(size, devices, now) {
  const random = prng(size);
  const registered = new Uint8Array(devices);
  const revoked = new Uint8Array(devices);
  const versions = new Uint32Array(devices);
  const start = now - SPAN_MS;
  for (let i = 0; i < size; i++) {
    const at = new Date(start + Math.floor((i * SPAN_MS) / size)).toISOString();
    // The first `devices` events register every device, so each later event has one to be about.
    const d = i < devices ? i : Math.floor(random() * devices);
    const deviceId = `bench-device-${d}`;
    const thumb = `thumb-${d}`;
    const metadata = { requestId: `req-${i}`, actor: i < devices ? 'api-key:admin' : `device:${deviceId}` };
    const base = { eventId: `bench-event-${i}`, position: i + 1, recordedAt: at, schemaVersion: 1 };
    let event;
    if (!registered[d]) {
      registered[d] = 1;
      event = { type: 'DeviceRegistered', data: { deviceId, publicKey: '00'.repeat(32), keyThumbprint: thumb, label: deviceId, metadata: {}, registeredAt: at } };
    } else {
      const roll = random();
      const challengeId = `challenge-${i}`;
      if (!revoked[d] && roll < 0.002) {
        revoked[d] = 1;
        event = { type: 'DeviceRevoked', data: { deviceId, reason: 'retired', revokedAt: at } };
        metadata.actor = 'api-key:admin';
      } else if (revoked[d] || roll < 0.05) {
        const reason = revoked[d] ? 'DEVICE_REVOKED' : REASONS[Math.floor(random() * random() * REASONS.length)];
        event = {
          type: 'DeviceAuthenticationFailed',
          data: { challengeId, deviceId, keyThumbprint: thumb, method: 'challenge-response', reason, failedAt: at },
        };
      } else {
        event = { type: 'DeviceAuthenticated', data: { challengeId, deviceId, keyThumbprint: thumb, method: 'challenge-response', verifiedAt: at } };
      }
    }
    versions[d]++;
    yield { ...event, metadata, ...base, streamId: `device-${deviceId}`, streamVersion: versions[d] };
  }
}

/** Fills the migrated audit file through the projection, with the records the running server would have written. */
function fill(dataDir, size, devices, now) {
  const Database = require('better-sqlite3');
  const { SqliteAuditLogProjection } = require(join(root, 'dist/libs/audit/data-access/src/sqlite.js'));
  const db = new Database(join(dataDir, 'audit.sqlite'));
  db.pragma('journal_mode = WAL');
  // Filling is set-up, not the thing measured: no fsync per chunk.
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const projection = new SqliteAuditLogProjection(db);
  const events = syntheticEvents(size, devices, now);
  const chunk = db.transaction((n) => {
    for (let k = 0; k < n; k++) {
      const next = events.next();
      if (next.done) return;
      projection.apply(next.value);
    }
  });
  for (let done = 0; done < size; done += 50_000) chunk(Math.min(50_000, size - done));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** The queries timed: each a function of a random source giving one first-page query string of /events, or a path. */
function queries(devices, now) {
  const window = (random) => {
    const from = now - SPAN_MS + Math.floor(random() * (SPAN_MS - DAY));
    return `GE_eventTime=${encodeURIComponent(new Date(from).toISOString())}&LT_eventTime=${encodeURIComponent(new Date(from + DAY).toISOString())}`;
  };
  return [
    ['by epc', (random) => `MATCH_epc=${encodeURIComponent(`urn:m2m-trust:device:bench-device-${Math.floor(random() * devices)}`)}`],
    ['by bizStep+disposition', () => 'EQ_bizStep=inspecting&EQ_disposition=non_conformant'],
    ['by reason', (random) => `EQ_m2m:reason=${REASONS[Math.floor(random() * REASONS.length)]}`],
    ['by eventTime range (1 day)', window],
    ['by eventTime range (1 day), orderBy=eventTime', (random) => `${window(random)}&orderBy=eventTime&orderDirection=ASC`],
    ['newest failures (orderBy=eventTime DESC)', () => 'EQ_disposition=non_conformant&orderBy=eventTime&orderDirection=DESC'],
    ['newest first (record order DESC)', () => 'orderDirection=DESC'],
    // The binding's resources beside /events: a type's events (every event here is an ObjectEvent) and the EPC collection.
    ['/eventTypes/ObjectEvent/events', () => '/epcis/eventTypes/ObjectEvent/events'],
    ['/epcs (the collection)', () => '/epcis/epcs'],
  ];
}

async function measure(url, size, devices, now, samples) {
  const pool = new Pool(url, { connections: 1 });
  const results = [];
  try {
    for (const [name, make] of queries(devices, now)) {
      const random = prng(size ^ name.length);
      const latencies = [];
      // A few unmeasured requests first: prepared statements and the page cache warm up as in a running service.
      for (let i = -5; i < samples; i++) {
        // A query string is a query of /events; a path is a resource of its own.
        const made = make(random);
        const path = made.startsWith('/') ? made : `/epcis/events?${made}`;
        const t0 = performance.now();
        const res = await pool.request({ method: 'GET', path, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
        const body = await res.body.text();
        const ms = performance.now() - t0;
        if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}: ${body.slice(0, 300)}`);
        if (i >= 0) latencies.push(ms);
      }
      latencies.sort((a, b) => a - b);
      results.push({ size, query: name, p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) });
    }
  } finally {
    await pool.close();
  }
  return results;
}

/**
 * For each size: a fresh database through the real migrations, filled
 * through the real projection, then p50/p99 of filtered first pages over
 * HTTP against the started gateway. Latencies in milliseconds.
 */
export async function benchAuditQueries({ sizes = [10_000, 100_000, 1_000_000], samples = 200 } = {}) {
  const results = [];
  for (const size of sizes) {
    const dataDir = mkdtempSync(join(tmpdir(), 'm2m-audit-bench-'));
    try {
      // Migrations run exactly as the gateway registers them: start it once on the empty directory.
      await (await startGateway(dataDir)).stop();
      const devices = Math.max(10, Math.floor(size / 100));
      const now = Date.now();
      fill(dataDir, size, devices, now);
      const gateway = await startGateway(dataDir);
      try {
        results.push(...(await measure(gateway.url, size, devices, now, samples)));
      } finally {
        await gateway.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return results;
}
