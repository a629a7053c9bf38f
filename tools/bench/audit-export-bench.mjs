// Compliance export and offline verification at scale: fills a data directory
// with a real audit chain, serves it with the built gateway, downloads a full
// export in each format (events/s, the server's peak RSS, each format from a
// freshly started server so its VmHWM is that export's own), then checks each
// file with the built CLI (`m2m audit verify`). A harness, not a test: the
// integrator's bench.mjs calls benchExportAndVerify; run alone with
//
//   npm run build && node tools/bench/audit-export-bench.mjs [events] [--formats=jsonld,xml,csv] [--data=DIR]
//
// `--data=DIR` keeps the filled log in DIR and reuses it when it already holds
// `events` records (filling 1M takes minutes), so runs before and after a
// change read the same log.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { GENEROUS_RATE_LIMITS } from '../scripts/cluster.cjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const dist = (path) => require(join(root, 'dist', path));
export const ADMIN_KEY = 'bench-export-admin-key-0123456789abcdef';
/** Appends queued in one turn of the event loop share one transaction (group commit): this many per commit. */
const APPENDS_PER_COMMIT = 5_000;
/** One device registration, then this many authentications of it: the log's usual mix. */
const AUTHENTICATIONS_PER_DEVICE = 9;

const seconds = (since) => (performance.now() - since) / 1000;

/**
 * Writes `events` audit records into a fresh data directory through the same
 * code the server runs (the compiled SqliteEventStore with the inline device
 * and credential projections, the audit log written behind it into its own
 * file), so each record carries its real CBV event hash and chain link.
 */
export async function fillAuditLog(dataDir, events) {
  const { openSqliteDatabase, SqliteEventStore } = dist('libs/shared/data-access/src/sqlite');
  const audit = dist('libs/audit/data-access/src/sqlite');
  const { Devices1763700000100, SqliteDeviceProjection } = dist('libs/registry/data-access/src/sqlite');
  const { DeviceCredentials1763700000200, SqliteDeviceCredentialsProjection } = dist('libs/challenge/data-access/src/sqlite');
  const database = await openSqliteDatabase(dataDir, [
    Devices1763700000100,
    DeviceCredentials1763700000200,
    audit.NamedQueries1763700000520,
  ]);
  const { db } = database;
  // A data set rebuilt for each run: per-commit durability of the event store buys nothing here.
  db.pragma('synchronous = OFF');
  const log = await audit.openEmbeddedAuditLog(dataDir, database, { error: console.error, warn: console.warn, log: () => undefined });
  const store = new SqliteEventStore(db, [new SqliteDeviceProjection(db), new SqliteDeviceCredentialsProjection(db)], { now: () => new Date() }, undefined, [
    log.follower,
  ]);
  log.start(store);
  const devices = [];
  const append = (i) => {
    const now = new Date().toISOString();
    if (i % (AUTHENTICATIONS_PER_DEVICE + 1) === 0) {
      const publicKey = randomBytes(32).toString('hex');
      const x = Buffer.from(publicKey, 'hex').toString('base64url');
      const keyThumbprint = createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
      const device = { deviceId: `bench-meter-${i}`, keyThumbprint };
      devices.push(device);
      return store.appendToStream(`device-${device.deviceId}`, 0, [
        {
          type: 'DeviceRegistered',
          data: { deviceId: device.deviceId, publicKey, keyThumbprint, label: `Meter ${i}`, metadata: {}, registeredAt: now },
          metadata: { requestId: `bench-r-${i}`, actor: 'api-key:admin' },
        },
      ]);
    }
    const device = devices[devices.length - 1];
    const challengeId = `bench-c-${i}`;
    return store.appendToStream(`challenge-${challengeId}`, 0, [
      {
        type: 'DeviceAuthenticated',
        data: { challengeId, deviceId: device.deviceId, keyThumbprint: device.keyThumbprint, method: 'challenge-response', verifiedAt: now },
        metadata: { requestId: `bench-r-${i}`, actor: `device:${device.deviceId}` },
      },
    ]);
  };
  try {
    for (let next = 0; next < events; ) {
      // Registrations must commit before their authentications' batch starts: each batch begins with one.
      const end = Math.min(events, next + APPENDS_PER_COMMIT);
      const batch = [];
      for (; next < end; next++) batch.push(append(next));
      await Promise.all(batch);
    }
    // A fill outruns the audit writer (the event store's commits are not synced here): wait for it, however long.
    for (;;) {
      try {
        await log.follower.settled();
        break;
      } catch (error) {
        if (error?.code !== 'SERVICE_UNAVAILABLE') throw error;
      }
    }
    const { n } = log.database.db.prepare('SELECT COUNT(*) AS n FROM audit_events').get();
    if (n !== events) throw new Error(`expected ${events} audit records, found ${n}`);
  } finally {
    await log.close();
    await database.close();
  }
}

export async function startGateway(dataDir) {
  const child = spawn(process.execPath, [join(root, 'dist/apps/gateway/src/main.js')], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', M2M_DATA_DIR: dataDir, M2M_ADMIN_API_KEY: ADMIN_KEY, M2M_LOG_LEVEL: 'info', ...GENEROUS_RATE_LIMITS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      out += chunk;
      const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(out);
      if (match) resolve(match[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`gateway exited with ${code} before listening:\n${out}`)));
  });
  // Keep draining its output (the access log) so the server never blocks on a full pipe.
  child.stdout.removeAllListeners('data').resume();
  child.stderr.removeAllListeners('data').resume();
  return {
    url,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A field of /proc/<pid>/status in MiB (Linux only): VmHWM is the peak resident set, RssAnon the resident heap and buffers. */
function statusMb(pid, field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/**
 * Samples the server's anonymous resident memory while `work` runs: the
 * JavaScript heap, buffers and SQLite's page caches, the part that would grow
 * if the export were buffered. VmHWM also counts file-backed pages (code,
 * libraries).
 */
async function sampledPeak(pid, work) {
  let peak = statusMb(pid, 'RssAnon');
  const timer = setInterval(() => (peak = Math.max(peak, statusMb(pid, 'RssAnon'))), 100);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, statusMb(pid, 'RssAnon'));
}

/** Runs the built CLI; `peakRssMb` is its VmHWM as last seen before it exited (sampled, so a lower bound). */
function runCli(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'dist/apps/cli/src/main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    let stdout = '';
    let stderr = '';
    let peakRssMb = Number.NaN;
    const sample = setInterval(() => {
      try {
        peakRssMb = statusMb(child.pid, 'VmHWM');
      } catch {
        // Exited between two samples.
      }
    }, 100);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      clearInterval(sample);
      resolve({ code, stdout, stderr, peakRssMb });
    });
  });
}

/** Records in an existing data directory's audit log, or null when it has none. */
function auditRecordsIn(dataDir) {
  const path = join(dataDir, 'audit.sqlite');
  if (!existsSync(path)) return null;
  const Database = require('better-sqlite3');
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) AS n FROM audit_events').get().n;
  } catch {
    return null;
  } finally {
    db.close();
  }
}

/** Follows a CSV export's Link rel="describedby" (relative to the export's URL) and saves the manifest as FILE.jws. */
async function saveCsvManifest(response, file) {
  const target = /<([^>]+)>;\s*rel="describedby"/.exec(response.headers.get('link') ?? '')?.[1];
  if (!target) throw new Error('the CSV export answered without its Link rel="describedby"');
  const manifest = await fetch(new URL(target, response.url), { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  if (manifest.status !== 200) throw new Error(`the CSV manifest answered ${manifest.status}: ${await manifest.text()}`);
  writeFileSync(`${file}.jws`, await manifest.text());
}

/** Exports the whole log in `format` from a freshly started gateway (its VmHWM is then this export's peak), and verifies the file offline. */
async function benchFormat(dataDir, work, format) {
  const file = join(work, `export.${format}`);
  const keysFile = join(work, 'keys.json');
  const gateway = await startGateway(dataDir);
  let started;
  let exportSeconds;
  let serverPeakRssMb;
  let serverPeakRssBeforeMb;
  let serverRssAnonBeforeMb;
  let serverPeakRssAnonMb;
  try {
    writeFileSync(keysFile, await (await fetch(`${gateway.url}/epcis/checkpoints/keys`)).text());
    serverPeakRssBeforeMb = statusMb(gateway.pid, 'VmHWM');
    serverRssAnonBeforeMb = statusMb(gateway.pid, 'RssAnon');
    started = performance.now();
    serverPeakRssAnonMb = await sampledPeak(gateway.pid, async () => {
      const response = await fetch(`${gateway.url}/epcis/export?format=${format}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      if (response.status !== 200) throw new Error(`export answered ${response.status}: ${await response.text()}`);
      await pipeline(Readable.fromWeb(response.body), createWriteStream(file));
      // A CSV is a plain table: its manifest (a second walk of the log, to hash the same rows) is the Link beside it,
      // saved as FILE.jws where `m2m audit verify` looks for it. Part of the export's time: a client needs both.
      if (format === 'csv') await saveCsvManifest(response, file);
    });
    exportSeconds = seconds(started);
    serverPeakRssMb = statusMb(gateway.pid, 'VmHWM');
  } finally {
    await gateway.stop();
  }

  // Offline, as an auditor would: the key set saved beforehand, the server stopped (and off the CPUs).
  started = performance.now();
  const verify = await runCli(['audit', 'verify', file, '--keys', keysFile, '--json']);
  const verifySeconds = seconds(started);
  const report = verify.code === 0 || verify.code === 1 ? JSON.parse(verify.stdout) : null;
  if (verify.code !== 0) process.stderr.write(`m2m audit verify exited ${verify.code}:\n${verify.stdout}${verify.stderr}\n`);
  const exported = report?.manifest?.count ?? Number.NaN;
  const result = {
    format,
    exportSeconds,
    exportEventsPerSecond: exported / exportSeconds,
    exportMegabytes: statSync(file).size / 2 ** 20,
    serverPeakRssMb,
    serverPeakRssBeforeMb,
    serverRssAnonBeforeMb,
    serverPeakRssAnonMb,
    verifySeconds,
    verifyPeakRssMb: verify.peakRssMb,
    verifyOk: verify.code === 0 && report?.ok === true,
    exported,
  };
  rmSync(file, { force: true });
  rmSync(`${file}.jws`, { force: true });
  return result;
}

/**
 * Fills a data directory with `events` audit records (or reuses `dataDir`
 * when it already holds them), exports them all in each format from the
 * built server, and verifies each file with the built CLI. The top-level
 * figures are the first format's (JSON-LD unless told otherwise).
 */
export async function benchExportAndVerify({ events = 1_000_000, formats = ['jsonld', 'xml', 'csv'], dataDir: keptDataDir } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'm2m-export-bench-'));
  const dataDir = keptDataDir ?? join(work, 'data');
  try {
    let fillSeconds = 0;
    const existing = auditRecordsIn(dataDir);
    if (existing !== events) {
      if (existing !== null) rmSync(dataDir, { recursive: true, force: true });
      const started = performance.now();
      await fillAuditLog(dataDir, events);
      fillSeconds = seconds(started);
    }
    const byFormat = {};
    for (const format of formats) byFormat[format] = await benchFormat(dataDir, work, format);
    const first = byFormat[formats[0]];
    return {
      events,
      fillSeconds,
      ...first,
      verifyOk: formats.every((format) => byFormat[format].verifyOk && byFormat[format].exported === events),
      formats: byFormat,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const flag = (name) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const events = Number(args.find((arg) => !arg.startsWith('--')) ?? 100_000);
  const formats = (flag('formats') ?? 'jsonld,xml,csv').split(',');
  const result = await benchExportAndVerify({ events, formats, dataDir: flag('data') });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  for (const f of Object.values(result.formats)) {
    process.stdout.write(
      `${f.format.padEnd(6)} ${Math.round(f.exportEventsPerSecond).toLocaleString('en')} events/s, server VmHWM ${f.serverPeakRssMb.toFixed(0)} MB ` +
        `(${f.serverPeakRssBeforeMb.toFixed(0)} MB before the export), RssAnon peak ${f.serverPeakRssAnonMb.toFixed(0)} MB, verify ${f.verifyOk ? 'ok' : 'FAILED'}\n`,
    );
  }
}
