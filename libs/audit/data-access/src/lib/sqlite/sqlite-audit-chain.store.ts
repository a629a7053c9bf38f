import type { ChainLink } from '@m2m-trust/audit-domain';

import Database from 'better-sqlite3';

import type { AuditChainStore, ChainRecord, StoredCheckpoint } from '../audit-chain.store';

interface Row {
  seq: number;
  prev_hash: string;
  hash: string;
  document: string;
}

interface CheckpointRow {
  seq: number;
  head: string;
  signed_at: string;
  kid: string;
  jws: string;
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
  ) {}
}

const toCheckpoint = (row: CheckpointRow): StoredCheckpoint => ({ seq: row.seq, head: row.head, signedAt: row.signed_at, kid: row.kid, jws: row.jws });

const RECORDS_SQL = 'SELECT seq, prev_hash, hash, document FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?';

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
      all: db.prepare<[], CheckpointRow>('SELECT * FROM audit_checkpoints ORDER BY seq'),
      save: db.prepare('INSERT INTO audit_checkpoints (seq, head, signed_at, kid, jws) VALUES (?, ?, ?, ?, ?) ON CONFLICT(seq) DO NOTHING'),
    };
  }

  async head(): Promise<ChainLink | null> {
    const row = this.s.head.get();
    return row ? { seq: row.seq, prevHash: row.prev_hash, hash: row.hash } : null;
  }

  async records(afterSeq: number, limit: number): Promise<readonly ChainRecord[]> {
    return this.recordsStatement()
      .all(afterSeq, limit)
      .map((row) => new StoredRecord(row.seq, row.prev_hash, row.hash, JSON.parse(row.document) as Record<string, unknown>));
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | null> {
    const row = this.s.latest.get();
    return row ? toCheckpoint(row) : null;
  }

  async checkpoints(): Promise<readonly StoredCheckpoint[]> {
    return this.s.all.all().map(toCheckpoint);
  }

  async saveCheckpoint(c: StoredCheckpoint): Promise<void> {
    this.s.save.run(c.seq, c.head, c.signedAt, c.kid, c.jws);
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
