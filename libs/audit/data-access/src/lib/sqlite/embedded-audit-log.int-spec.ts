import { ChainVerifier, toEpcisEvent } from '@m2m-trust/audit-domain';
import { openSqliteDatabase, type SqliteDatabase, SqliteEventStore } from '@m2m-trust/shared-data-access/sqlite';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { eventually } from '@m2m-trust/shared-domain/testing';
import type { NewEvent } from '@m2m-trust/shared-events';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

import { eventSource } from '../audit-log.test-events';
import { AuditChain1763700000400 } from './audit-chain.migration';
import { AuditLog1763700000300 } from './audit-log.migration';
import { AuditQueryIndexes1763700000510 } from './audit-query-indexes.migration';
import { AUDIT_DATABASE_FILE, AUDIT_FILE_MIGRATIONS, type EmbeddedAuditLog, openEmbeddedAuditLog } from './embedded-audit-log';
import type { AuditFollowerOptions } from './sqlite-audit-log.follower';
import { SqliteAuditLogProjection } from './sqlite-audit-log.projection';

const clock = { now: () => new Date() };

interface RecordRow {
  seq: number;
  prev_hash: string;
  hash: string;
  event_id: string;
  source_event_id: string;
  document: string;
}

const logger = () => ({ error: jest.fn(), warn: jest.fn(), log: jest.fn() });

const recordsIn = (db: Database.Database): RecordRow[] =>
  db.prepare('SELECT seq, prev_hash, hash, event_id, source_event_id, document FROM audit_events ORDER BY seq').all() as RecordRow[];

/** Walks the chain as an auditor's verifier does: null when every link holds. */
function chainFault(rows: readonly RecordRow[]): string | null {
  const verifier = new ChainVerifier({ contiguous: true });
  for (const row of rows) {
    const fault = verifier.check(JSON.parse(row.document) as Record<string, unknown>, { seq: row.seq, prevHash: row.prev_hash, hash: row.hash });
    if (fault) return `seq ${row.seq}: ${JSON.stringify(fault)}`;
  }
  return null;
}

/** Audited domain events mixed with challenges, which are not audited. */
function newEvents(seed: number): () => { streamId: string; events: NewEvent[] } {
  const next = eventSource(seed, `s${seed}`);
  let n = 0;
  return () => {
    n++;
    if (n % 4 === 0) {
      const at = new Date().toISOString();
      return {
        streamId: `challenge-${seed}-${n}`,
        events: [{ type: 'ChallengeIssued', data: { challengeId: `${seed}-${n}`, deviceId: 'meter-1', nonce: 'n', issuedAt: at, expiresAt: at }, metadata: {} }],
      };
    }
    const { type, data, metadata } = next();
    return { streamId: `stream-${seed}-${n}`, events: [{ type, data, metadata } as NewEvent] };
  };
}

describe('the embedded audit log, written behind the event store', () => {
  let dir: string;
  let main: SqliteDatabase;
  let store: SqliteEventStore;
  let log: EmbeddedAuditLog | null;

  const open = async (options: Partial<AuditFollowerOptions> = {}, log_ = logger()): Promise<EmbeddedAuditLog> => {
    const opened = await openEmbeddedAuditLog(dir, main, log_, { retryMs: [10, 50], ...options });
    store = new SqliteEventStore(main.db, [], clock, undefined, [opened.follower]);
    opened.start(store);
    return opened;
  };
  /** `count` appends, `concurrency` at a time, so that they share group commits. */
  const append = async (source: ReturnType<typeof newEvents>, count: number, concurrency = 16): Promise<void> => {
    for (let done = 0; done < count; done += concurrency) {
      await Promise.all(
        Array.from({ length: Math.min(concurrency, count - done) }, () => {
          const { streamId, events } = source();
          return store.appendToStream(streamId, 0, events);
        }),
      );
    }
  };
  const auditedInStore = (): number => store.readAll(0, 1_000_000).filter((event) => toEpcisEvent(event)).length;
  /** A second connection to the audit file, as an operator's tool (or a fault) would open it. */
  const auditFile = (): Database.Database => new Database(join(dir, AUDIT_DATABASE_FILE));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-embedded-audit-'));
    main = await openSqliteDatabase(dir, []);
    log = null;
  });
  afterEach(async () => {
    await log?.close();
    await main.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes exactly the records the inline projection writes, in store order, and stores the position reached', async () => {
    log = await open();
    await append(newEvents(1), 300);
    await log.follower.settled();

    const inline = await openSqliteDatabase(join(dir, 'inline'), AUDIT_FILE_MIGRATIONS, { eventStore: false });
    try {
      const projection = new SqliteAuditLogProjection(inline.db);
      for (const event of store.readAll(0, 1_000)) if (projection.handles.includes(event.type)) projection.apply(event);
      const written = recordsIn(log.database.db);
      expect(written).toHaveLength(auditedInStore());
      expect(written.length).toBeGreaterThan(200);
      expect(written).toEqual(recordsIn(inline.db));
    } finally {
      await inline.close();
    }
    expect(chainFault(recordsIn(log.database.db))).toBeNull();
    expect(log.database.db.prepare('SELECT position FROM audit_source').get()).toEqual({ position: store.headPosition() });
  });

  it('lets a reader see a write answered before it asked', async () => {
    log = await open();
    const source = newEvents(2);
    for (let i = 0; i < 20; i++) {
      const { streamId, events } = source();
      const appended = await store.appendToStream(streamId, 0, events);
      const epcis = toEpcisEvent(appended.events[0]!);
      if (!epcis) continue;
      expect(await log.reader.findByEventId(epcis.eventID)).toEqual(epcis);
      expect((await log.chain.head())?.seq).toBe(recordsIn(log.database.db).length);
    }
  });

  it('saves signed checkpoints through the writer', async () => {
    log = await open();
    await append(newEvents(3), 10);
    const head = await log.chain.head();
    const checkpoint = { seq: head!.seq, head: head!.hash, signedAt: new Date().toISOString(), kid: 'k1', jws: 'a.b.c', note: null };
    await log.chain.saveCheckpoint(checkpoint);
    expect(await log.chain.latestCheckpoint()).toEqual(checkpoint);
  });

  it('resumes after a stop that lost committed events in transit: each audited event once, the chain unbroken', async () => {
    log = await open();
    const source = newEvents(4);
    await append(source, 100);
    await log.close();
    // The process died after the store committed these and before the writer wrote them.
    store = new SqliteEventStore(main.db, [], clock);
    await append(source, 60);

    log = await open();
    await log.follower.settled();
    const rows = recordsIn(log.database.db);
    expect(rows).toHaveLength(auditedInStore());
    expect(new Set(rows.map((row) => row.source_event_id)).size).toBe(rows.length);
    expect(chainFault(rows)).toBeNull();
  });

  it('after a failed write, starts again from the file and the store: nothing lost, nothing doubled', async () => {
    const events = logger();
    log = await open({}, events);
    const fault = auditFile();
    fault.exec("CREATE TRIGGER fail_at_40 BEFORE INSERT ON audit_events WHEN NEW.seq = 40 BEGIN SELECT RAISE(ABORT, 'simulated I/O error'); END");
    await append(newEvents(5), 120);
    const settled = log.follower.settled();
    await eventually('the failed write logged', () => events.error.mock.calls.length > 0);
    expect(events.error).toHaveBeenCalledWith(expect.objectContaining({ reason: expect.stringContaining('simulated I/O error') }), expect.any(String));
    expect(recordsIn(log.database.db).length).toBeLessThan(40);

    fault.exec('DROP TRIGGER fail_at_40');
    fault.close();
    await settled;
    const rows = recordsIn(log.database.db);
    expect(rows).toHaveLength(auditedInStore());
    expect(rows.map((row) => row.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(chainFault(rows)).toBeNull();
  });

  it('answers SERVICE_UNAVAILABLE to a reader while the log cannot catch up, and catches up once it can', async () => {
    log = await open({ settleTimeoutMs: 200 });
    const fault = auditFile();
    fault.exec("CREATE TRIGGER refuse BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    await append(newEvents(6), 10);
    const refused = await log.reader.query({ perPage: 10 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe(ErrorCode.ServiceUnavailable);

    fault.exec('DROP TRIGGER refuse');
    fault.close();
    // The writer is retried with backoff; a reader then waits for it as usual.
    const { db } = log.database;
    await eventually('the writer caught up', () => recordsIn(db).length >= auditedInStore());
    expect((await log.reader.query({ perPage: 100 })).events).toHaveLength(auditedInStore());
  });

  it('restarts a writer thread that died and catches up what it had not written', async () => {
    const events = logger();
    log = await open({}, events);
    const source = newEvents(9);
    await append(source, 40);
    await log.follower.settled();
    // The thread ends abruptly (as on an uncaught error inside it), with appends still arriving.
    const writer = (log.follower as unknown as { writer: { worker: { terminate(): Promise<number> } } }).writer;
    const terminated = writer.worker.terminate();
    await append(source, 40);
    await terminated;
    await log.follower.settled();
    expect(events.error).toHaveBeenCalledWith(expect.objectContaining({ reason: expect.stringContaining('writer thread stopped') }), expect.any(String));
    const rows = recordsIn(log.database.db);
    expect(rows).toHaveLength(auditedInStore());
    expect(chainFault(rows)).toBeNull();
  });

  it('when the writer falls far behind, stops queueing and catches up from the store', async () => {
    const events = logger();
    log = await open({ maxLag: 8, catchUpChunk: 5 }, events);
    await append(newEvents(7), 400, 64);
    await log.follower.settled();
    expect(events.warn).toHaveBeenCalled();
    const rows = recordsIn(log.database.db);
    expect(rows).toHaveLength(auditedInStore());
    expect(new Set(rows.map((row) => row.source_event_id)).size).toBe(rows.length);
    expect(chainFault(rows)).toBeNull();
  });
});

describe('a log from before the audit file', () => {
  it('moves into the audit file once, records, checkpoints and position, and the chain goes on from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-audit-legacy-'));
    try {
      // The old layout: the log in the main file, written in each event's transaction.
      const old = await openSqliteDatabase(dir, [AuditLog1763700000300, AuditChain1763700000400, AuditQueryIndexes1763700000510]);
      const source = newEvents(8);
      const oldStore = new SqliteEventStore(old.db, [new SqliteAuditLogProjection(old.db)], clock);
      for (let i = 0; i < 40; i++) {
        const { streamId, events } = source();
        await oldStore.appendToStream(streamId, 0, events);
      }
      const before = recordsIn(old.db);
      const last = before[before.length - 1]!;
      old.db.prepare("INSERT INTO audit_checkpoints (seq, head, signed_at, kid, jws) VALUES (?, ?, '2026-11-21T00:00:00.000Z', 'k1', 'a.b.c')").run(last.seq, last.hash);
      await old.close();

      const main = await openSqliteDatabase(dir, []);
      const log = await openEmbeddedAuditLog(dir, main, logger());
      try {
        expect(recordsIn(log.database.db)).toEqual(before);
        expect(await log.chain.latestCheckpoint()).toEqual(expect.objectContaining({ seq: last.seq, head: last.hash }));
        expect(main.db.prepare("SELECT name FROM sqlite_master WHERE name IN ('audit_events', 'audit_checkpoints')").all()).toEqual([]);

        const store = new SqliteEventStore(main.db, [], clock, undefined, [log.follower]);
        log.start(store);
        for (let i = 0; i < 20; i++) {
          const { streamId, events } = source();
          await store.appendToStream(streamId, 0, events);
        }
        await log.follower.settled();
        const rows = recordsIn(log.database.db);
        expect(rows.slice(0, before.length)).toEqual(before);
        expect(rows).toHaveLength(store.readAll(0, 1_000).filter((event) => toEpcisEvent(event)).length);
        expect(chainFault(rows)).toBeNull();
      } finally {
        await log.close();
        await main.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
