import type { ChainLink, TreeNode } from '@m2m-trust/audit-domain';

import Database from 'better-sqlite3';

import type { AuditChainStore, ChainRecord, IndexedColumns, StoredCheckpoint } from '../audit-chain.store';
import { INDEXED_COLUMN_NAMES, INDEXED_COLUMNS_SQL } from '../audit-tree-rows';

type Row = {
  seq: number;
  prev_hash: string;
  hash: string;
  document: string;
} & Record<(typeof INDEXED_COLUMN_NAMES)[number], string | null>;

interface CheckpointRow {
  seq: number;
  head: string;
  signed_at: string;
  kid: string;
  jws: string;
  note: string | null;
}

/**
 * A record as read: made by a constructor, not an object literal, because V8
 * tracks object literals by allocation site and, once a scavenge finds a
 * whole batch of them alive (as it will mid-batch), allocates every later one
 * straight into the old generation. There, discarded, they still hold their
 * parsed events alive through each scavenge, and a long walk promoted about
 * 1 KB per record until the next full collection: hundreds of MB at a
 * million records.
 */
class StoredRecord implements ChainRecord {
  constructor(
    readonly seq: number,
    readonly prevHash: string,
    readonly hash: string,
    readonly event: Record<string, unknown>,
    readonly indexed: IndexedColumns,
  ) {}
}

const toRecord = (row: Row): ChainRecord =>
  new StoredRecord(
    row.seq,
    row.prev_hash,
    row.hash,
    JSON.parse(row.document) as Record<string, unknown>,
    INDEXED_COLUMN_NAMES.map((column) => row[column]),
  );

const toCheckpoint = (row: CheckpointRow): StoredCheckpoint => ({
  seq: row.seq,
  head: row.head,
  signedAt: row.signed_at,
  kid: row.kid,
  jws: row.jws,
  note: row.note ?? null,
});

/** Saves a checkpoint; the first of a seq stands. */
export const SAVE_CHECKPOINT_SQL = 'INSERT INTO audit_checkpoints (seq, head, signed_at, kid, jws, note) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(seq) DO NOTHING';

const RECORD_COLUMNS = `seq, prev_hash, hash, document, ${INDEXED_COLUMNS_SQL}`;
const RECORDS_SQL = `SELECT ${RECORD_COLUMNS} FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`;

/**
 * The page cache of the connection that walks the log, in KiB: the B-tree's
 * path and a batch's pages. A walk reads every page once, so a larger cache
 * only holds pages it will not read again.
 */
const SCAN_CACHE_KIB = 2048;
/** Exports and verifications read batch after batch: a walk connection unused this long is closed. */
const SCAN_IDLE_MS = 2000;

interface Scan {
  readonly db: Database.Database;
  readonly records: Database.Statement<[number, number], Row>;
  readonly idle: NodeJS.Timeout;
}

export class SqliteAuditChainStore implements AuditChainStore {
  private readonly s;
  private scan: Scan | null = null;

  constructor(private readonly db: Database.Database) {
    this.s = {
      head: db.prepare<[], { seq: number; prev_hash: string; hash: string }>('SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq DESC LIMIT 1'),
      records: db.prepare<[number, number], Row>(RECORDS_SQL),
      latest: db.prepare<[], CheckpointRow>('SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1'),
      at: db.prepare<[number], CheckpointRow>('SELECT * FROM audit_checkpoints WHERE seq = ?'),
      all: db.prepare<[], CheckpointRow>('SELECT * FROM audit_checkpoints ORDER BY seq'),
      save: db.prepare(SAVE_CHECKPOINT_SQL),
      recordOf: db.prepare<[string], Row>(`SELECT ${RECORD_COLUMNS} FROM audit_events WHERE event_id = ?`),
      treeSize: db.prepare<[], { size: number | null }>('SELECT max(idx) + 1 AS size FROM audit_tree WHERE level = 0'),
      node: db.prepare<[number, number], { hash: Buffer }>('SELECT hash FROM audit_tree WHERE level = ? AND idx = ?'),
    };
  }

  async head(): Promise<ChainLink | null> {
    const row = this.s.head.get();
    return row ? { seq: row.seq, prevHash: row.prev_hash, hash: row.hash } : null;
  }

  async records(afterSeq: number, limit: number): Promise<readonly ChainRecord[]> {
    return this.recordsStatement().all(afterSeq, limit).map(toRecord);
  }

  async recordOf(eventId: string): Promise<ChainRecord | null> {
    const row = this.s.recordOf.get(eventId);
    return row ? toRecord(row) : null;
  }

  async treeSize(): Promise<number> {
    return this.s.treeSize.get()?.size ?? 0;
  }

  async treeHashes(nodes: readonly TreeNode[]): Promise<readonly (Buffer | undefined)[]> {
    // A proof needs at most about 2·log2(N) of them: point lookups on the primary key, a few microseconds each.
    return nodes.map((node) => this.s.node.get(node.level, node.index)?.hash);
  }

  async checkpointAt(seq: number): Promise<StoredCheckpoint | null> {
    const row = this.s.at.get(seq);
    return row ? toCheckpoint(row) : null;
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | null> {
    const row = this.s.latest.get();
    return row ? toCheckpoint(row) : null;
  }

  async checkpoints(): Promise<readonly StoredCheckpoint[]> {
    return this.s.all.all().map(toCheckpoint);
  }

  async saveCheckpoint(c: StoredCheckpoint): Promise<void> {
    this.s.save.run(c.seq, c.head, c.signedAt, c.kid, c.jws, c.note);
  }

  /**
   * Walks of the whole log (exports, chain verification) read through a
   * read-only connection of their own with a small page cache. Through the
   * shared connection a million-record walk filled its 64 MiB cache (sized
   * for the hot index pages of appends and queries) with pages read once,
   * and evicted those hot pages. Each batch is its own short read
   * transaction, so a slow reader never holds back WAL checkpoints; writes
   * and their durability settings stay on the shared connection.
   */
  private recordsStatement(): Database.Statement<[number, number], Row> {
    if (this.db.memory || !this.db.open) return this.s.records;
    if (this.scan) {
      this.scan.idle.refresh();
      return this.scan.records;
    }
    const db = new Database(this.db.name, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.pragma(`cache_size = -${SCAN_CACHE_KIB}`);
    const idle = setTimeout(() => {
      if (this.scan?.db === db) this.scan = null;
      db.close();
    }, SCAN_IDLE_MS).unref();
    this.scan = { db, records: db.prepare<[number, number], Row>(RECORDS_SQL), idle };
    return this.scan.records;
  }
}
