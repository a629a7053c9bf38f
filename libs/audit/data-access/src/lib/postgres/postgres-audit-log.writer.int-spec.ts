import { ChainVerifier } from '@m2m-trust/audit-domain';
import type { RecordedEvent } from '@m2m-trust/shared-events';
import { openPostgresDatabase, type PgExecutor, type PostgresDatabase } from '@m2m-trust/shared-postgres';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '@m2m-trust/shared-postgres/testing';

import { eventSource, prng } from '../audit-log.test-events';
import { auditPostgresMigrations } from './audit-postgres.providers';
import { PostgresAuditChainStore } from './postgres-audit-chain.store';
import { type AppendedAuditRecord, PostgresAuditLogWriter } from './postgres-audit-log.writer';

const open = (schema: string, applicationName: string): Promise<PostgresDatabase> =>
  openPostgresDatabase({ url: TEST_DATABASE_URL, schema, migrations: auditPostgresMigrations, applicationName, poolSize: 2 });

/** Walks the whole chain as /epcis/chain/verify does; returns the source event ids in record order. */
async function verifiedChain(db: PgExecutor): Promise<{ count: number; sources: string[] }> {
  const store = new PostgresAuditChainStore(db);
  const verifier = new ChainVerifier({ contiguous: true });
  const sources: string[] = [];
  for (let after = 0; ; ) {
    const records = await store.records(after, 250);
    if (records.length === 0) break;
    for (const record of records) {
      expect(verifier.check(record.event, { seq: record.seq, prevHash: record.prevHash, hash: record.hash })).toBeNull();
      sources.push(record.event['m2m:sourceEventId'] as string);
    }
    after = (records[records.length - 1] as { seq: number }).seq;
  }
  expect(await store.head()).toEqual(verifier.head);
  return { count: verifier.verified, sources };
}

const challengeIssued = (n: number): RecordedEvent =>
  ({
    type: 'ChallengeIssued',
    data: { challengeId: `c-issued-${n}`, deviceId: 'meter-1', nonce: 'n', issuedAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:05:00.000Z' },
    metadata: {},
    eventId: `issued-${n}`,
    streamId: 'challenge',
    streamVersion: n,
    position: n,
    recordedAt: '2026-01-01T00:00:00.000Z',
    schemaVersion: 1,
  }) as RecordedEvent;

describe('PostgresAuditLogWriter (real PostgreSQL)', () => {
  const schema = uniqueSchema('audit_writer');
  let db: PostgresDatabase;
  const writer = new PostgresAuditLogWriter();

  beforeAll(async () => {
    db = await open(schema, 'audit-writer-int-spec');
  });

  afterAll(async () => {
    await db?.close();
    await dropSchema(schema);
  });

  it('chains 1,000 events written in batches into valid links, each source event once, whatever is redelivered', async () => {
    const next = eventSource(1, 'batched');
    const events = Array.from({ length: 1000 }, () => next());
    const appended: AppendedAuditRecord[] = [];
    for (let i = 0; i < events.length; i += 100) {
      // At-least-once delivery: the tail of the previous batch again, one event twice, and an event the log does not audit.
      const batch = [...events.slice(Math.max(0, i - 10), i + 100), events[i] as RecordedEvent, challengeIssued(i)];
      appended.push(...(await db.transaction((tx) => writer.applyBatch(tx, batch))));
    }
    expect(appended.map((record) => record.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));

    const chain = await verifiedChain(db.pool);
    expect(chain.count).toBe(1000);
    expect(chain.sources).toEqual(events.map((event) => event.eventId));

    // The whole stream redelivered, one event at a time and in one batch: nothing new.
    const head = await new PostgresAuditChainStore(db.pool).head();
    await db.transaction(async (tx) => {
      for (const event of events.slice(0, 50)) await writer.apply(tx, event);
    });
    expect(await db.transaction((tx) => writer.applyBatch(tx, events))).toEqual([]);
    expect(await new PostgresAuditChainStore(db.pool).head()).toEqual(head);
  });

  it('leaves no gap when a batch is rolled back: the next one continues from the committed head', async () => {
    const next = eventSource(2, 'rolled-back');
    const lost = Array.from({ length: 20 }, () => next());
    await expect(
      db.transaction(async (tx) => {
        await writer.applyBatch(tx, lost);
        throw new Error('the consumer failed after the append');
      }),
    ).rejects.toThrow('the consumer failed');
    const head = await new PostgresAuditChainStore(db.pool).head();
    // Redelivered after the failure, the same events are appended then.
    const appended = await db.transaction((tx) => writer.applyBatch(tx, lost));
    expect(appended[0]?.seq).toBe((head?.seq ?? 0) + 1);
    const chain = await verifiedChain(db.pool);
    expect(new Set(chain.sources).size).toBe(chain.count);
  });

  it('refuses to write outside READ COMMITTED, where the head could be read from before the lock', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await expect(writer.applyBatch(client, [eventSource(3, 'repeatable')()])).rejects.toThrow(/READ COMMITTED/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('keeps one unforked chain under two concurrent writers with overlapping batches: every event exactly once', async () => {
    const before = (await new PostgresAuditChainStore(db.pool).head())?.seq ?? 0;
    const second = await open(schema, 'audit-writer-int-spec-2');
    try {
      const next = eventSource(4, 'concurrent');
      const events = Array.from({ length: 1200 }, () => next());
      const random = prng(4);
      // Two instances given overlapping ranges (a rebalance replays some partitions on the other instance), in batches of 1 to 60.
      const run = async (database: PostgresDatabase, share: readonly RecordedEvent[]): Promise<number[]> => {
        const seqs: number[] = [];
        for (let i = 0; i < share.length; ) {
          const size = 1 + Math.floor(random() * 60);
          const appended = await database.transaction((tx) => writer.applyBatch(tx, share.slice(i, i + size)));
          seqs.push(...appended.map((record) => record.seq));
          i += size;
        }
        return seqs;
      };
      const [first, other] = await Promise.all([run(db, events.slice(0, 800)), run(second, events.slice(400))]);

      expect(first.length + other.length).toBe(1200);
      // The two really interleaved: each appended between records of the other.
      expect(Math.min(...other)).toBeLessThan(Math.max(...first));
      expect(Math.min(...first)).toBeLessThan(Math.max(...other));
      const chain = await verifiedChain(db.pool);
      expect(chain.count).toBe(before + 1200);
      const written = chain.sources.slice(before);
      expect(new Set(written).size).toBe(1200);
      expect([...written].sort()).toEqual(events.map((event) => event.eventId).sort());
    } finally {
      await second.close();
    }
  });
});
