// The PostgreSQL event store and its outbox relay, against a real PostgreSQL
// (npm run infra:up / npm test start it; M2M_TEST_DATABASE_URL overrides).
import type { Clock } from '@m2m-trust/shared-contracts';
import { ErrorCode } from '@m2m-trust/shared-domain';
import type { NewEvent, RecordedEvent } from '@m2m-trust/shared-events';

import { Pool } from 'pg';

import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../testing/test-database';
import { PostgresEventStore1763700001000 } from './event-store.migration';
import { OutboxRelay } from './outbox-relay';
import { openPostgresDatabase, type PostgresDatabase } from './postgres-database';
import { PostgresEventStore } from './postgres-event-store';

const clock: Clock = { now: () => new Date('2026-11-21T10:00:00.000Z') };
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

const registered = (deviceId: string): NewEvent =>
  ({
    type: 'DeviceRegistered',
    data: { deviceId, publicKey: '00'.repeat(32), keyThumbprint: 't', label: '', metadata: {}, registeredAt: clock.now().toISOString() },
    metadata: { requestId: 'r1' },
  }) as unknown as NewEvent;
const revoked = (deviceId: string): NewEvent =>
  ({ type: 'DeviceRevoked', data: { deviceId, reason: null, revokedAt: clock.now().toISOString() }, metadata: {} }) as unknown as NewEvent;

/** A bus that records what the relay published, optionally failing the first publishes. */
function recordingBus(failFirst = 0): { publish(events: readonly RecordedEvent[]): Promise<void>; published: RecordedEvent[]; attempts: number } {
  const bus = {
    published: [] as RecordedEvent[],
    attempts: 0,
    async publish(events: readonly RecordedEvent[]): Promise<void> {
      bus.attempts++;
      if (bus.attempts <= failFirst) throw new Error('broker unavailable');
      bus.published.push(...events);
    },
  };
  return bus;
}

/** Generous: the deadline only says the condition never came, within the integration tier's timeout. */
async function waitFor(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resume) => setTimeout(resume, 20));
  }
}

describe('PostgresEventStore and OutboxRelay (PostgreSQL)', () => {
  const schema = uniqueSchema('es');
  let database: PostgresDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await openPostgresDatabase({ url: TEST_DATABASE_URL, schema, migrations: [PostgresEventStore1763700001000], applicationName: 'event-store-spec' });
    store = new PostgresEventStore(database, [], clock);
  });

  afterAll(async () => {
    await database.close();
    await dropSchema(schema);
  });

  it('appends with the expected version and reads the stream back in order', async () => {
    const first = await store.appendToStream('device-a', 0, [registered('a')]);
    expect(first.nextExpectedVersion).toBe(1);
    await store.appendToStream('device-a', 1, [revoked('a')]);
    const slice = await store.readStream('device-a');
    expect(slice.version).toBe(2);
    expect(slice.events.map((e) => [e.type, e.streamVersion])).toEqual([
      ['DeviceRegistered', 1],
      ['DeviceRevoked', 2],
    ]);
    expect(slice.events[0]).toMatchObject({ data: { deviceId: 'a' }, metadata: { requestId: 'r1' }, schemaVersion: 1, recordedAt: '2026-11-21T10:00:00.000Z' });
  });

  it('refuses a stale expected version, and a second creation of a stream, with CONCURRENCY_CONFLICT; nothing is written', async () => {
    await store.appendToStream('device-b', 0, [registered('b')]);
    await expect(store.appendToStream('device-b', 0, [registered('b')])).rejects.toMatchObject({ code: ErrorCode.ConcurrencyConflict });
    await expect(store.appendToStream('device-b', 2, [revoked('b')])).rejects.toMatchObject({ code: ErrorCode.ConcurrencyConflict });
    expect((await store.readStream('device-b')).version).toBe(1);
  });

  it('lets exactly one of many racing appends at the same version win', async () => {
    await store.appendToStream('device-c', 0, [registered('c')]);
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => store.appendToStream('device-c', 1, [revoked('c')])));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect((await store.readStream('device-c')).version).toBe(2);
  });

  it("appends to whatever version with 'any'", async () => {
    await store.appendToStream('device-d', 0, [registered('d')]);
    const result = await store.appendToStream('device-d', 'any', [revoked('d'), revoked('d')]);
    expect(result.events.map((e) => e.streamVersion)).toEqual([2, 3]);
  });

  it('commits a conditioned append only while the other stream stands at the version read', async () => {
    await store.appendToStream('device-e', 0, [registered('e')]);
    await store.appendToStream('challenge-1', 0, [registered('e')], { conditions: [{ streamId: 'device-e', version: 1 }] });
    await store.appendToStream('device-e', 1, [revoked('e')]);
    await expect(store.appendToStream('challenge-2', 0, [registered('e')], { conditions: [{ streamId: 'device-e', version: 1 }] })).rejects.toMatchObject({
      code: ErrorCode.ConcurrencyConflict,
    });
    expect((await store.readStream('challenge-2')).version).toBe(0);
  });

  it('holds the same rules on the transaction path that inline projections take, committing the projection with the events', async () => {
    await database.pool.query('CREATE TABLE projected (stream_id text, version int)');
    const projection = {
      name: 'spec.projected',
      handles: ['DeviceRegistered', 'DeviceRevoked'] as const,
      apply: async (tx: { query(sql: string, values?: unknown[]): Promise<unknown> }, event: RecordedEvent) =>
        void (await tx.query('INSERT INTO projected VALUES ($1, $2)', [event.streamId, event.streamVersion])),
    };
    const projecting = new PostgresEventStore(database, [projection], clock);
    await projecting.appendToStream('device-p', 0, [registered('p')]);
    await expect(projecting.appendToStream('device-p', 0, [registered('p')])).rejects.toMatchObject({ code: ErrorCode.ConcurrencyConflict });
    await expect(projecting.appendToStream('device-p2', 0, [registered('p2')], { conditions: [{ streamId: 'device-p', version: 2 }] })).rejects.toMatchObject({
      code: ErrorCode.ConcurrencyConflict,
    });
    await projecting.appendToStream('device-p2', 0, [registered('p2')], { conditions: [{ streamId: 'device-p', version: 1 }] });
    const { rows } = await database.pool.query('SELECT stream_id, version FROM projected ORDER BY stream_id');
    expect(rows).toEqual([
      { stream_id: 'device-p', version: 1 },
      { stream_id: 'device-p2', version: 1 },
    ]);
  });

  it('reads conditions where the store is told to (a projection of another service\'s streams)', async () => {
    await database.pool.query('CREATE TABLE other_versions (id text PRIMARY KEY, version int)');
    await database.pool.query("INSERT INTO other_versions VALUES ('x', 3)");
    const conditioned = new PostgresEventStore(database, [], clock, {
      conditions: (streamId) => (streamId.startsWith('other-') ? { select: 'SELECT version FROM other_versions WHERE id = {key}', key: streamId.slice(6) } : undefined),
    });
    await expect(conditioned.appendToStream('challenge-o1', 0, [registered('o')], { conditions: [{ streamId: 'other-x', version: 2 }] })).rejects.toThrow(
      /other-x is at version 3, not 2/,
    );
    await conditioned.appendToStream('challenge-o1', 0, [registered('o')], { conditions: [{ streamId: 'other-x', version: 3 }] });
    await database.pool.query("UPDATE other_versions SET version = 4 WHERE id = 'x'");
    await expect(conditioned.appendToStream('challenge-o2', 0, [registered('o')], { conditions: [{ streamId: 'other-x', version: 3 }] })).rejects.toMatchObject({
      code: ErrorCode.ConcurrencyConflict,
    });
    expect((await conditioned.readStream('challenge-o2')).version).toBe(0);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of events at the database', async () => {
    const pool = new Pool({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    try {
      await expect(pool.query("UPDATE events SET type = 'x'")).rejects.toThrow(/append-only/);
      await expect(pool.query('DELETE FROM events')).rejects.toThrow(/append-only/);
      await expect(pool.query('TRUNCATE events')).rejects.toThrow(/append-only/);
    } finally {
      await pool.end();
    }
  });

  it('relays every committed event exactly once, each stream in order, under concurrent writers from two pools', async () => {
    const other = await openPostgresDatabase({ url: TEST_DATABASE_URL, schema, migrations: [PostgresEventStore1763700001000], applicationName: 'event-store-spec-2' });
    const secondStore = new PostgresEventStore(other, [], clock);
    const bus = recordingBus();
    const relay = new OutboxRelay({ url: TEST_DATABASE_URL, schema, name: 'spec-relay', bus, logger: quiet, batchSize: 37, pollMs: 5 });
    relay.start();
    try {
      const writers = Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 25; i++) {
          const s = w % 2 === 0 ? store : secondStore;
          const id = `relay-${w}-${i}`;
          await s.appendToStream(`device-${id}`, 0, [registered(id)]);
          await s.appendToStream(`device-${id}`, 1, [revoked(id)]);
        }
      });
      await Promise.all(writers);
      const { rows } = await database.pool.query<{ n: string }>('SELECT count(*) AS n FROM events');
      const total = Number(rows[0]?.n);
      await waitFor(() => bus.published.length >= total);
      // Nothing published twice, either later: an event appended now comes after anything the relay had left.
      await store.appendToStream('device-relay-marker', 0, [registered('relay-marker')]);
      await waitFor(() => bus.published.some((e) => e.streamId === 'device-relay-marker'));
      expect(bus.published).toHaveLength(total + 1);
      expect(new Set(bus.published.map((e) => e.eventId)).size).toBe(total + 1);
      const seen = new Map<string, number>();
      for (const event of bus.published) {
        const last = seen.get(event.streamId) ?? 0;
        expect(event.streamVersion).toBeGreaterThan(last);
        seen.set(event.streamId, event.streamVersion);
      }
    } finally {
      await relay.stop();
      await other.close();
    }
  });

  it('resumes after its checkpoint when restarted, and publishes again a batch the broker refused', async () => {
    const bus = recordingBus(2);
    const relay = new OutboxRelay({ url: TEST_DATABASE_URL, schema, name: 'spec-relay-2', bus, logger: quiet, pollMs: 5 });
    relay.start();
    try {
      const { rows } = await database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE type <> 'ChallengeIssued'`);
      const before = Number(rows[0]?.n);
      await waitFor(() => bus.published.length >= before);
    } finally {
      await relay.stop();
    }
    expect(bus.attempts).toBeGreaterThan(2);

    await store.appendToStream('device-late', 0, [registered('late')]);
    const resumed = recordingBus();
    const again = new OutboxRelay({ url: TEST_DATABASE_URL, schema, name: 'spec-relay-2', bus: resumed, logger: quiet, pollMs: 5 });
    again.start();
    try {
      await waitFor(() => resumed.published.length >= 1);
      // Nothing from before the checkpoint either, later: an event appended now comes after all of it.
      await store.appendToStream('device-late-marker', 0, [registered('late-marker')]);
      await waitFor(() => resumed.published.some((e) => e.streamId === 'device-late-marker'));
      expect(resumed.published.map((e) => e.streamId)).toEqual(['device-late', 'device-late-marker']);
    } finally {
      await again.stop();
    }
  });

  it('keeps events no other service consumes (ChallengeIssued) out of the broker, and passes them', async () => {
    const issued = { type: 'ChallengeIssued', data: { deviceId: 'quiet' }, metadata: {} } as unknown as NewEvent;
    await store.appendToStream('challenge-quiet', 0, [issued]);
    await store.appendToStream('device-quiet', 0, [registered('quiet')]);
    const bus = recordingBus();
    const relay = new OutboxRelay({ url: TEST_DATABASE_URL, schema, name: 'spec-relay-quiet', bus, logger: quiet, pollMs: 5 });
    relay.start();
    try {
      // The count moves once the checkpoint is saved, just after the broker's acknowledgement.
      await waitFor(() => bus.published.some((e) => e.streamId === 'device-quiet') && relay.publishedCount >= bus.published.length);
      expect(bus.published.filter((e) => e.type === 'ChallengeIssued')).toEqual([]);
      // Counts what went to the broker, not the passed events as well.
      expect(relay.publishedCount).toBe(bus.published.length);
    } finally {
      await relay.stop();
    }
  });

  it('lets one relay of a name lead at a time; the other takes over when the leader stops', async () => {
    const first = recordingBus();
    const second = recordingBus();
    const a = new OutboxRelay({ url: TEST_DATABASE_URL, schema, name: 'spec-relay-3', bus: first, logger: quiet, pollMs: 5 });
    const b = new OutboxRelay({ url: TEST_DATABASE_URL, schema, name: 'spec-relay-3', bus: second, logger: quiet, pollMs: 5 });
    a.start();
    try {
      await waitFor(() => first.published.length > 0);
      b.start();
      await store.appendToStream('device-leader', 0, [registered('leader')]);
      await waitFor(() => first.published.some((e) => e.streamId === 'device-leader'));
      expect(second.published).toHaveLength(0);
      await a.stop();
      await store.appendToStream('device-leader', 1, [revoked('leader')]);
      await waitFor(() => second.published.some((e) => e.streamId === 'device-leader' && e.streamVersion === 2));
    } finally {
      await a.stop();
      await b.stop();
    }
    expect(new Set([...first.published, ...second.published].filter((e) => e.streamId === 'device-leader').map((e) => e.eventId)).size).toBe(2);
  });
});
