import type { Clock } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import type { NewEvent, RecordedEvent } from '@m2m-trust/shared-events';

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InProcessEventBus } from '../in-process-event-bus';
import { openSqliteDatabase, type SqliteDatabase } from './sqlite-database';
import { SqliteEventStore } from './sqlite-event-store';
import type { SqliteInlineProjection } from './sqlite-inline-projection';

const clock: Clock = { now: () => new Date('2026-11-21T08:00:00.000Z') };
const revoked = (deviceId: string): NewEvent => ({
  type: 'DeviceRevoked',
  data: { deviceId, reason: null, revokedAt: '2026-11-21T08:00:00.000Z' },
  metadata: { requestId: 'r1' },
});

/** Counts events per stream in its own table; refuses the device id "poison". */
class CountingProjection implements SqliteInlineProjection {
  readonly name: string = 'test.counts';
  readonly handles = ['DeviceRevoked'] as const;
  constructor(private readonly database: SqliteDatabase) {
    database.db.exec('CREATE TABLE IF NOT EXISTS counts (stream TEXT PRIMARY KEY, n INTEGER NOT NULL)');
  }
  apply(event: RecordedEvent): void {
    if ((event.data as { deviceId: string }).deviceId === 'poison') throw new DomainError(ErrorCode.ValidationFailed, 'poison');
    this.database.db
      .prepare('INSERT INTO counts (stream, n) VALUES (?, 1) ON CONFLICT(stream) DO UPDATE SET n = n + 1')
      .run(event.streamId);
  }
  count(stream: string): number {
    return (this.database.db.prepare('SELECT n FROM counts WHERE stream = ?').get(stream) as { n: number } | undefined)?.n ?? 0;
  }
}

describe('SqliteEventStore (real SQLite)', () => {
  let dir: string;
  let database: SqliteDatabase;
  let projection: CountingProjection;
  let store: SqliteEventStore;
  let published: RecordedEvent[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-store-'));
    database = await openSqliteDatabase(dir, []);
    projection = new CountingProjection(database);
    published = [];
    const bus = new InProcessEventBus((error) => {
      throw error;
    });
    bus.subscribe(['DeviceRevoked'], (event) => void published.push(event));
    store = new SqliteEventStore(database.db, [projection], clock, bus);
  });
  afterEach(() => database.close());

  it('hands each committed batch to its followers in position order before answering, never a refused append, and knows its head', async () => {
    const batches: number[][] = [];
    const answeredBeforeHandedOver: string[] = [];
    store = new SqliteEventStore(database.db, [projection], clock, undefined, [{ follow: (events) => void batches.push(events.map((e) => e.position)) }]);
    expect(store.headPosition()).toBe(0);
    const appends = ['a', 'b', 'poison', 'c'].map((stream) =>
      store.appendToStream(stream, 0, [revoked(stream), revoked(stream)]).then(
        () => batches.length === 0 && answeredBeforeHandedOver.push(stream),
        () => undefined,
      ),
    );
    await Promise.all(appends);
    expect(answeredBeforeHandedOver).toEqual([]);
    expect(batches).toEqual([[1, 2, 3, 4, 5, 6]]);
    expect(store.headPosition()).toBe(6);
    // A new store on the same file starts from the committed head.
    expect(new SqliteEventStore(database.db, [], clock).headPosition()).toBe(6);
  });

  it('appends with per-stream versions and a global order, and reads a stream back', async () => {
    await store.appendToStream('a', 0, [revoked('a'), revoked('a')]);
    await store.appendToStream('b', 0, [revoked('b')]);
    const a = await store.readStream('a');
    expect(a.version).toBe(2);
    expect(a.events.map((e) => e.streamVersion)).toEqual([1, 2]);
    expect(a.events[0]!.metadata).toEqual({ requestId: 'r1' });
    const all = store.readAll(0, 10);
    expect(all.map((e) => e.streamId)).toEqual(['a', 'a', 'b']);
    expect(all.map((e) => e.position)).toEqual([...all.map((e) => e.position)].sort((x, y) => x - y));
  });

  it('refuses an append at a stale expected version, and lets "any" through', async () => {
    await store.appendToStream('a', 0, [revoked('a')]);
    await expect(store.appendToStream('a', 0, [revoked('a')])).rejects.toMatchObject({ code: ErrorCode.ConcurrencyConflict });
    await expect(store.appendToStream('a', 'any', [revoked('a')])).resolves.toMatchObject({ nextExpectedVersion: 2 });
  });

  it('lets exactly one of concurrent appends at the same version win, without failing the rest of the batch', async () => {
    const results = await Promise.allSettled([
      store.appendToStream('x', 0, [revoked('x')]),
      store.appendToStream('x', 0, [revoked('x')]),
      store.appendToStream('y', 0, [revoked('y')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.readStream('x')).version).toBe(1);
    expect(projection.count('x')).toBe(1);
    expect(projection.count('y')).toBe(1);
  });

  it('commits only while the streams a decision read are unchanged', async () => {
    await store.appendToStream('device', 0, [revoked('device')]);
    await expect(store.appendToStream('c1', 0, [revoked('c1')], { conditions: [{ streamId: 'device', version: 0 }] })).rejects.toMatchObject({
      code: ErrorCode.ConcurrencyConflict,
    });
    expect((await store.readStream('c1')).version).toBe(0);
    await expect(store.appendToStream('c1', 0, [revoked('c1')], { conditions: [{ streamId: 'device', version: 1 }] })).resolves.toBeDefined();
  });

  it('rolls back an append whose inline projection refuses it, events and all', async () => {
    await expect(store.appendToStream('p', 0, [revoked('poison')])).rejects.toThrow('poison');
    expect((await store.readStream('p')).version).toBe(0);
    expect(published).toHaveLength(0);
  });

  it('rejects only the append a projection refuses when it shares a batch, leaving nothing of it behind', async () => {
    const results = await Promise.allSettled([
      store.appendToStream('a', 0, [revoked('a')]),
      store.appendToStream('p', 0, [revoked('a'), revoked('poison')]),
      store.appendToStream('a', 0, [revoked('a')]),
      store.appendToStream('b', 0, [revoked('b')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'poison' });
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.ConcurrencyConflict });
    expect((await store.readStream('p')).version).toBe(0);
    expect(store.readAll(0, 10).map((e) => e.streamId)).toEqual(['a', 'b']);
    expect(projection.count('p')).toBe(0);
    expect(published.map((e) => e.streamId)).toEqual(['a', 'b']);
  });

  it('publishes committed events to the bus before the caller resumes', async () => {
    await store.appendToStream('a', 0, [revoked('a')]);
    expect(published.map((e) => e.streamId)).toEqual(['a']);
  });

  it('refuses UPDATE and DELETE on the events table', async () => {
    await store.appendToStream('a', 0, [revoked('a')]);
    expect(() => database.db.prepare("UPDATE events SET type = 'X'").run()).toThrow(/append-only/);
    expect(() => database.db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
  });

  it('catches a new projection up from its checkpoint', async () => {
    await store.appendToStream('a', 0, [revoked('a'), revoked('a')]);
    class Late extends CountingProjection {
      override readonly name = 'test.late';
    }
    database.db.exec('DELETE FROM counts');
    const late = new Late(database);
    const fresh = new SqliteEventStore(database.db, [late], clock);
    expect(fresh.catchUpProjections()).toBe(2);
    expect(late.count('a')).toBe(2);
    expect(fresh.catchUpProjections()).toBe(0);
  });

  it('keeps what it committed across a reopen', async () => {
    await store.appendToStream('a', 0, [revoked('a')]);
    await database.close();
    database = await openSqliteDatabase(dir, []);
    const reopened = new SqliteEventStore(database.db, [], clock);
    expect((await reopened.readStream('a')).version).toBe(1);
  });
});
