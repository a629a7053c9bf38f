// Compliance export and offline verification at scale: fills a data directory
// with a real audit chain, serves it with the built gateway, downloads a full
// JSON-LD export (events/s, the server's peak RSS), then checks the file with
// the built CLI (`m2m audit verify`). A harness, not a test: the integrator's
// bench.mjs calls benchExportAndVerify; run alone with
//
//   npm run build && node tools/bench/audit-export-bench.mjs [events]
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const dist = (path) => require(join(root, 'dist', path));
const ADMIN_KEY = 'bench-export-admin-key-0123456789abcdef';
/** Appends queued in one turn of the event loop share one transaction (group commit): this many per commit. */
const APPENDS_PER_COMMIT = 5_000;
/** One device registration, then this many authentications of it: the log's usual mix. */
const AUTHENTICATIONS_PER_DEVICE = 9;

const seconds = (since) => (performance.now() - since) / 1000;

/**
 * Writes `events` audit records into a fresh data directory through the same
 * code the server runs (the compiled SqliteEventStore with the inline device,
 * credential and audit projections, every migration the gateway applies), so
 * each record carries its real CBV event hash and chain link.
 */
export async function fillAuditLog(dataDir, events) {
  const { openSqliteDatabase, SqliteEventStore } = dist('libs/shared/data-access/src');
  const audit = dist('libs/audit/data-access/src');
  const { Devices1763700000100, SqliteDeviceProjection } = dist('libs/registry/data-access/src');
  const { DeviceCredentials1763700000200, SqliteDeviceCredentialsProjection } = dist('libs/challenge/data-access/src');
  const database = await openSqliteDatabase(dataDir, [
    Devices1763700000100,
    DeviceCredentials1763700000200,
    audit.AuditLog1763700000300,
    audit.AuditChain1763700000400,
    audit.AuditQueryIndexes1763700000510,
    audit.NamedQueries1763700000520,
  ]);
  const { db } = database;
  // A data set rebuilt for each run: per-commit durability buys nothing here. Each append runs in its own
  // savepoint, whose journal SQLite writes to a temporary file page by page unless told to keep it in memory:
  // that alone is most of the fill's system time (an easy win for the server's own appends too).
  db.pragma('synchronous = OFF');
  db.pragma('temp_store = MEMORY');
  const store = new SqliteEventStore(
    db,
    [new SqliteDeviceProjection(db), new SqliteDeviceCredentialsProjection(db), new audit.SqliteAuditLogProjection(db)],
    { now: () => new Date() },
  );
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
    const { n } = db.prepare('SELECT COUNT(*) AS n FROM audit_events').get();
    if (n !== events) throw new Error(`expected ${events} audit records, found ${n}`);
  } finally {
    await database.close();
  }
}

async function startGateway(dataDir) {
  const child = spawn(process.execPath, [join(root, 'dist/apps/gateway/src/main.js')], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', M2M_DATA_DIR: dataDir, M2M_ADMIN_API_KEY: ADMIN_KEY, M2M_LOG_LEVEL: 'info' },
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
 * Samples the server's anonymous resident memory while `work` runs. VmHWM
 * alone also counts the database pages SQLite maps into memory (mmap_size,
 * 256 MiB), which are the page cache, not the export's footprint: the
 * anonymous part is what would grow if the export were buffered.
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

/**
 * Fills a data directory with `events` audit records, exports them all as
 * JSON-LD from the built server, and verifies the file with the built CLI.
 */
export async function benchExportAndVerify({ events = 1_000_000 } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'm2m-export-bench-'));
  const dataDir = join(work, 'data');
  const file = join(work, 'export.jsonld');
  const keysFile = join(work, 'keys.json');
  try {
    let started = performance.now();
    await fillAuditLog(dataDir, events);
    const fillSeconds = seconds(started);

    const gateway = await startGateway(dataDir);
    let exportSeconds;
    let serverPeakRssMb;
    let serverRssAnonBeforeMb;
    let serverPeakRssAnonMb;
    try {
      writeFileSync(keysFile, await (await fetch(`${gateway.url}/epcis/checkpoints/keys`)).text());
      serverRssAnonBeforeMb = statusMb(gateway.pid, 'RssAnon');
      started = performance.now();
      serverPeakRssAnonMb = await sampledPeak(gateway.pid, async () => {
        const response = await fetch(`${gateway.url}/epcis/export?format=jsonld`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
        if (response.status !== 200) throw new Error(`export answered ${response.status}: ${await response.text()}`);
        await pipeline(Readable.fromWeb(response.body), createWriteStream(file));
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
    return {
      events,
      fillSeconds,
      exportSeconds,
      exportEventsPerSecond: exported / exportSeconds,
      exportMegabytes: statSync(file).size / 2 ** 20,
      serverPeakRssMb,
      serverRssAnonBeforeMb,
      serverPeakRssAnonMb,
      verifySeconds,
      verifyPeakRssMb: verify.peakRssMb,
      verifyOk: verify.code === 0 && report?.ok === true && exported === events,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const events = Number(process.argv[2] ?? 100_000);
  const result = await benchExportAndVerify({ events });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
