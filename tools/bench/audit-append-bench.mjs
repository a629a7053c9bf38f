// Appending to the chained audit log through the real event store, as the
// embedded server runs it: group commit into the event store (synchronous=FULL,
// WAL checkpoints on a worker thread), the audit log written behind it (CBV
// event hash and chain hash on the main thread, records written into the
// audit file by the writer thread). Timed until the last record is durable in
// the audit file.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const dist = (path) => require(join(root, 'dist', path));
const { v7: uuidv7 } = require('uuid');

/** Appends `events` authentication outcomes (one stream each, `inFlight` at a time) and reports events/s. */
export async function benchAuditAppend({ events = 100_000, inFlight = 256 } = {}) {
  const { openSqliteDatabase, SqliteEventStore } = dist('libs/shared/data-access/src/sqlite');
  const audit = dist('libs/audit/data-access/src/sqlite');
  // Every audit migration the gateway runs, so the indexes written per record are the real ones.
  const dataDir = mkdtempSync(join(tmpdir(), 'm2m-append-'));
  // The server's settings: checkpoints of the write-ahead log on a worker thread.
  const database = await openSqliteDatabase(dataDir, [], { backgroundCheckpoints: true });
  const log = await audit.openEmbeddedAuditLog(dataDir, database, { error: console.error, warn: console.warn, log: () => undefined });
  const store = new SqliteEventStore(database.db, [], { now: () => new Date() }, undefined, [log.follower]);
  log.start(store);
  // Ids shaped as the server makes them: time-ordered challenge and request ids,
  // 1,000 devices, each with its own key thumbprint.
  const thumbprints = Array.from({ length: 1000 }, (_, device) => createHash('sha256').update(`key-${device}`).digest('base64url'));
  const event = (i) => ({
    type: 'DeviceAuthenticated',
    data: { challengeId: uuidv7(), deviceId: `meter-${i % 1000}`, keyThumbprint: thumbprints[i % 1000], method: 'challenge-response', verifiedAt: new Date().toISOString() },
    metadata: { requestId: uuidv7(), actor: `device:meter-${i % 1000}` },
  });
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < events) {
        const i = next++;
        await store.appendToStream(`challenge-bench-${i}`, 0, [event(i)]);
      }
    }),
  );
  const storeSeconds = (performance.now() - start) / 1000;
  // Every record durable in the audit file, not just handed to its writer.
  await log.follower.settled();
  const seconds = (performance.now() - start) / 1000;
  const rows = log.database.db.prepare('SELECT COUNT(*) AS n FROM audit_events').get().n;
  await log.close();
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { events, seconds, eventsPerSecond: events / seconds, storeEventsPerSecond: events / storeSeconds, auditRecords: rows };
}

/**
 * The same, in a process of its own: what ran before it in the harness
 * (the authentication part's heap, its JIT state) does not weigh on it.
 */
export function benchAuditAppendInChild({ events = 100_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [fileURLToPath(import.meta.url), String(events)], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`append bench failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchAuditAppend({ events: Number(process.argv[2] ?? 100_000) })));
}
