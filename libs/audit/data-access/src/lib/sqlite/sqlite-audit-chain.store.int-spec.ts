import { ChainVerifier } from '@m2m-trust/audit-domain';
import { openSqliteDatabase, type SqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

import type { ChainRecord } from '../audit-chain.store';
import { eventSource } from '../audit-log.test-events';
import { INDEXED_COLUMN_NAMES, INDEXED_COLUMNS_SQL } from '../audit-tree-rows';
import { AuditChain1763700000400 } from './audit-chain.migration';
import { AuditLog1763700000300 } from './audit-log.migration';
import { AuditTree1763700000900 } from './audit-tree.migration';
import { SqliteAuditChainStore } from './sqlite-audit-chain.store';
import { SqliteAuditLogProjection } from './sqlite-audit-log.projection';

const MIGRATIONS = [AuditLog1763700000300, AuditChain1763700000400, AuditTree1763700000900];

/** Every record after `after`, as the shared connection reads them. */
function readDirectly(db: Database.Database, after: number, limit: number): ChainRecord[] {
  const rows = db.prepare(`SELECT seq, prev_hash, hash, document, ${INDEXED_COLUMNS_SQL} FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`).all(after, limit) as ({
    seq: number;
    prev_hash: string;
    hash: string;
    document: string;
  } & Record<string, string | null>)[];
  return rows.map((row) => ({
    seq: row.seq,
    prevHash: row.prev_hash,
    hash: row.hash,
    event: JSON.parse(row.document) as Record<string, unknown>,
    indexed: INDEXED_COLUMN_NAMES.map((column) => row[column] ?? null),
  }));
}

/** The store's own connection for walks, if one is open (private: what these tests are about). */
const walkConnectionOf = (store: SqliteAuditChainStore): Database.Database | null =>
  (store as unknown as { scan: { db: Database.Database } | null }).scan?.db ?? null;

describe('SqliteAuditChainStore, walking the log', () => {
  let dir: string;
  let database: SqliteDatabase;
  let projection: SqliteAuditLogProjection;
  const next = eventSource(7, 'chain-store');
  const append = (n: number): void => {
    for (let i = 0; i < n; i++) projection.apply(next());
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-audit-chain-store-'));
    database = await openSqliteDatabase(dir, MIGRATIONS);
    projection = new SqliteAuditLogProjection(database.db);
    append(250);
  });
  afterAll(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => jest.useRealTimers());

  it('reads the records the shared connection holds, in order, a batch at a time, and they chain', async () => {
    const store = new SqliteAuditChainStore(database.db);
    const walker = new ChainVerifier({ contiguous: true });
    const seen: ChainRecord[] = [];
    for (let after = 0; ; ) {
      const batch = await store.records(after, 64);
      if (batch.length === 0) break;
      expect(batch.map((record) => ({ ...record }))).toEqual(readDirectly(database.db, after, 64));
      for (const record of batch) {
        expect(walker.check(record.event, record)).toBeNull();
        after = record.seq;
      }
      seen.push(...batch);
    }
    expect(seen.map((record) => record.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    // Serialised as before: the same keys in the same order.
    expect(JSON.stringify(seen)).toBe(JSON.stringify(readDirectly(database.db, 0, 1000)));
  });

  it('sees what was committed since its last batch', async () => {
    const store = new SqliteAuditChainStore(database.db);
    const head = (await store.head())?.seq ?? 0;
    expect(await store.records(head, 10)).toEqual([]);
    append(3);
    expect((await store.records(head, 10)).map((record) => record.seq)).toEqual([head + 1, head + 2, head + 3]);
  });

  it('walks through a read-only connection of its own, with a small page cache, closed once the walk stops', async () => {
    jest.useFakeTimers();
    const store = new SqliteAuditChainStore(database.db);
    await store.records(0, 10);
    const db = walkConnectionOf(store) as Database.Database;
    expect(db).not.toBe(database.db);
    expect(db.readonly).toBe(true);
    expect(db.pragma('cache_size', { simple: true })).toBe(-2048);
    // The shared connection keeps its own settings.
    expect(database.db.pragma('cache_size', { simple: true })).toBe(-65536);

    // Batch after batch: the same connection.
    jest.advanceTimersByTime(1500);
    await store.records(10, 10);
    jest.advanceTimersByTime(1500);
    expect(db.open).toBe(true);
    expect(walkConnectionOf(store)).toBe(db);

    // Idle: closed, and the next walk opens another.
    jest.advanceTimersByTime(2000);
    expect(db.open).toBe(false);
    expect((await store.records(0, 5)).map((record) => record.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(walkConnectionOf(store)).not.toBe(db);
    jest.advanceTimersByTime(2000);
  });

  it('reads an in-memory database through its one connection', async () => {
    const memory = new Database(':memory:');
    memory.exec(`CREATE TABLE audit_events (seq INTEGER PRIMARY KEY, prev_hash TEXT, hash TEXT, document TEXT, ${INDEXED_COLUMN_NAMES.map((c) => `${c} TEXT`).join(', ')});
      CREATE TABLE audit_checkpoints (seq INTEGER PRIMARY KEY, head TEXT, signed_at TEXT, kid TEXT, jws TEXT, note TEXT);
      CREATE TABLE audit_tree (level INTEGER, idx INTEGER, hash BLOB, PRIMARY KEY (level, idx));
      INSERT INTO audit_events (seq, prev_hash, hash, document, event_id) VALUES (1, 'p', 'h', '{"a":1}', 'e');`);
    const store = new SqliteAuditChainStore(memory);
    expect((await store.records(0, 10)).map((record) => ({ ...record }))).toEqual([
      { seq: 1, prevHash: 'p', hash: 'h', event: { a: 1 }, indexed: ['e', ...INDEXED_COLUMN_NAMES.slice(1).map(() => null)] },
    ]);
    expect(walkConnectionOf(store)).toBeNull();
    memory.close();
  });
});
