import { consistencyProof, inclusionProof, leafHash, type NamedQuery, readTree, recordBytes, TreeFrontier, treeRoot, verifyConsistency, verifyInclusion } from '@m2m-trust/audit-domain';
import { openSqliteDatabase, type SqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';
import { openPostgresDatabase, type PostgresDatabase } from '@m2m-trust/shared-postgres';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '@m2m-trust/shared-postgres/testing';

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { StoredCheckpoint } from '../audit-chain.store';
import { eventSource } from '../audit-log.test-events';
import { indexMismatch } from '../audit-tree-rows';
import { NamedQueries1763700000520 } from '../sqlite/named-queries.migration';
import { SqliteNamedQueryRepository } from '../sqlite/sqlite-named-query.repository';
import { auditPostgresMigrations } from './audit-postgres.providers';
import { PostgresAuditChainStore } from './postgres-audit-chain.store';
import { PostgresAuditLogWriter } from './postgres-audit-log.writer';
import { PostgresNamedQueryRepository } from './postgres-named-query.repository';

describe('PostgresAuditChainStore and PostgresNamedQueryRepository (real PostgreSQL)', () => {
  const schema = uniqueSchema('audit_stores');
  let db: PostgresDatabase;
  let sqlite: SqliteDatabase;

  beforeAll(async () => {
    db = await openPostgresDatabase({ url: TEST_DATABASE_URL, schema, migrations: auditPostgresMigrations, applicationName: 'audit-stores-int-spec' });
    sqlite = await openSqliteDatabase(mkdtempSync(join(tmpdir(), 'm2m-audit-pg-stores-')), [NamedQueries1763700000520]);
  });

  afterAll(async () => {
    await db?.close();
    await sqlite?.close();
    await dropSchema(schema);
  });

  it('reads the chain head and records in order, a batch at a time, with seq as a number', async () => {
    const chain = new PostgresAuditChainStore(db.pool);
    expect(await chain.head()).toBeNull();
    expect(await chain.records(0, 10)).toEqual([]);
    const next = eventSource(5, 'stores');
    const appended = await db.transaction((tx) => new PostgresAuditLogWriter().applyBatch(tx, Array.from({ length: 5 }, () => next())));

    const records = await chain.records(1, 3);
    expect(records.map((record) => record.seq)).toEqual([2, 3, 4]);
    expect(records[0]?.event).toEqual(appended[1]?.event);
    expect(records[1]?.prevHash).toBe(records[0]?.hash);
    expect(await chain.head()).toEqual({ seq: 5, prevHash: (await chain.records(3, 1))[0]?.hash, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('keeps checkpoints in order; the first of a seq stands', async () => {
    const chain = new PostgresAuditChainStore(db.pool);
    expect(await chain.latestCheckpoint()).toBeNull();
    const checkpoint = (seq: number, jws = `jws-${seq}`): StoredCheckpoint => ({ seq, head: `head-${seq}`, signedAt: `2026-01-0${seq}T00:00:00.000Z`, kid: 'k1', jws, note: null });
    await chain.saveCheckpoint(checkpoint(4));
    await chain.saveCheckpoint(checkpoint(2));
    await chain.saveCheckpoint(checkpoint(4, 'a second signature of seq 4'));
    expect(await chain.latestCheckpoint()).toEqual(checkpoint(4));
    expect(await chain.checkpoints()).toEqual([checkpoint(2), checkpoint(4)]);
  });

  it('keeps the Merkle tree of the records beside them, batch after batch, and serves proofs from it', async () => {
    const chain = new PostgresAuditChainStore(db.pool);
    const next = eventSource(40, 'tree');
    for (const size of [1, 6, 13]) await db.transaction((tx) => new PostgresAuditLogWriter().applyBatch(tx, Array.from({ length: size }, () => next())));
    const records = await chain.records(0, 1000);
    const head = records.length;
    expect(await chain.treeSize()).toBe(head);
    // The tree recomputed from the records, leaf by leaf, as an auditor would.
    const roots: Buffer[] = [];
    const frontier = new TreeFrontier();
    for (const record of records) {
      frontier.append(leafHash(recordBytes(record.seq, record.prevHash, record.event)), () => undefined);
      roots.push(frontier.root());
    }
    const read = <T>(compute: Parameters<typeof readTree<T>>[0]): Promise<T> => readTree(compute, (nodes) => chain.treeHashes(nodes));
    expect(await read((r) => treeRoot(r, head))).toEqual(frontier.root());
    for (const record of records) {
      const leaf = leafHash(recordBytes(record.seq, record.prevHash, record.event));
      expect(verifyInclusion(record.seq - 1, head, leaf, await read((r) => inclusionProof(r, record.seq - 1, head)), frontier.root())).toBe(true);
      expect(verifyConsistency(record.seq, head, await read((r) => consistencyProof(r, record.seq, head)), roots[record.seq - 1] as Buffer, frontier.root())).toBe(true);
    }
    expect((await chain.recordOf(records[3]?.event['eventID'] as string))?.seq).toBe(4);
    expect(await chain.recordOf('ni:///sha-256;none')).toBeNull();
  });

  it('returns the query columns as stored, so an edit behind the triggers shows against the event', async () => {
    const chain = new PostgresAuditChainStore(db.pool);
    const [record] = await chain.records(2, 1);
    expect(indexMismatch(record!.event, record!.indexed!)).toBeNull();
    // The owner, as an intruder: triggers off, one column changed.
    await db.pool.query(
      "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; UPDATE audit_events SET disposition = 'https://ref.gs1.org/cbv/Disp-tampered' WHERE seq = 3; ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only",
    );
    const [edited] = await chain.records(2, 1);
    expect(indexMismatch(edited!.event, edited!.indexed!)).toBe('disposition');
  });

  it('stores named queries by name: one create per name wins, lists page in byte order as SQLite does, deletes', async () => {
    const repository = new PostgresNamedQueryRepository(db.pool);
    const sqliteRepository = new SqliteNamedQueryRepository(sqlite.db);
    const named = (name: string): NamedQuery => ({ name, query: { EQ_action: ['ADD'], MATCH_epc: ['urn:m2m-trust:device:a'] }, createdAt: '2026-01-01T00:00:00.000Z' });
    // Upper case before lower and accents last: byte order, not a locale's.
    for (const name of ['gamma', 'alpha', 'beta', 'delta', 'Zulu', 'éclair']) {
      expect(await repository.create(named(name))).toBe(true);
      await sqliteRepository.create(named(name));
    }
    expect(await Promise.all([repository.create({ ...named('alpha'), query: {} }), repository.create({ ...named('alpha'), query: {} })])).toEqual([false, false]);
    const found = await repository.find('alpha');
    expect(found).toEqual(named('alpha'));
    expect(JSON.stringify(found)).toBe(JSON.stringify(await sqliteRepository.find('alpha')));

    const first = await repository.list(null, 3);
    expect(first.items.map((q) => q.name)).toEqual(['Zulu', 'alpha', 'beta']);
    expect(first.nextAfter).toBe('beta');
    const second = await repository.list(first.nextAfter, 3);
    expect(second.items.map((q) => q.name)).toEqual(['delta', 'gamma', 'éclair']);
    expect(second.nextAfter).toBeNull();
    expect([first, second]).toEqual([await sqliteRepository.list(null, 3), await sqliteRepository.list('beta', 3)]);

    expect(await repository.delete('beta')).toBe(true);
    expect(await repository.delete('beta')).toBe(false);
    expect(await repository.find('beta')).toBeNull();
  });
});
