// Appending to the chained audit log through the real event store: group
// commit, inline projections, CBV event hash, chain hash, synchronous=FULL,
// WAL checkpoints on a worker thread (as the embedded server runs).
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
  const { openSqliteDatabase, SqliteEventStore } = dist('libs/shared/data-access/src');
  const audit = dist('libs/audit/data-access/src');
  // Every audit migration the gateway runs, so the indexes written per record are the real ones.
  const migrations = [audit.AuditLog1763700000300, audit.AuditChain1763700000400, audit.AuditQueryIndexes1763700000510];
  const dataDir = mkdtempSync(join(tmpdir(), 'm2m-append-'));
  // The server's settings: checkpoints of the write-ahead log on a worker thread.
  const database = await openSqliteDatabase(dataDir, migrations, { backgroundCheckpoints: true });
  const { SqliteAuditLogProjection } = audit;
  const store = new SqliteEventStore(database.db, [new SqliteAuditLogProjection(database.db)], { now: () => new Date() });
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
  const seconds = (performance.now() - start) / 1000;
  const rows = database.db.prepare('SELECT COUNT(*) AS n FROM audit_events').get().n;
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { events, seconds, eventsPerSecond: events / seconds, auditRecords: rows };
}
