// Appending to the chained audit log through the real event store: group
// commit, inline projections, CBV event hash, chain hash, synchronous=FULL.
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const dist = (path) => require(join(root, 'dist', path));

/** Appends `events` authentication outcomes (one stream each, `inFlight` at a time) and reports events/s. */
export async function benchAuditAppend({ events = 100_000, inFlight = 256 } = {}) {
  const { openSqliteDatabase, SqliteEventStore } = dist('libs/shared/data-access/src');
  const audit = dist('libs/audit/data-access/src');
  // Every audit migration the gateway runs, so the indexes written per record are the real ones.
  const migrations = [audit.AuditLog1763700000300, audit.AuditChain1763700000400, audit.AuditQueryIndexes1763700000510];
  const database = await openSqliteDatabase(mkdtempSync(join(tmpdir(), 'm2m-append-')), migrations);
  const { SqliteAuditLogProjection } = audit;
  const store = new SqliteEventStore(database.db, [new SqliteAuditLogProjection(database.db)], { now: () => new Date() });
  const event = (i) => ({
    type: 'DeviceAuthenticated',
    data: { challengeId: `c-${i}`, deviceId: `meter-${i % 1000}`, keyThumbprint: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', method: 'challenge-response', verifiedAt: new Date().toISOString() },
    metadata: { requestId: `r-${i}`, actor: `device:meter-${i % 1000}` },
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
  return { events, seconds, eventsPerSecond: events / seconds, auditRecords: rows };
}
