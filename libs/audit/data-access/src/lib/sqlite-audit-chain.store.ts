import type Database from 'better-sqlite3';

import type { ChainLink } from '@m2m-trust/audit-domain';

import type { AuditChainStore, ChainRecord, StoredCheckpoint } from './audit-chain.store';

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

const toCheckpoint = (row: CheckpointRow): StoredCheckpoint => ({ seq: row.seq, head: row.head, signedAt: row.signed_at, kid: row.kid, jws: row.jws });

export class SqliteAuditChainStore implements AuditChainStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      head: db.prepare<[], { seq: number; prev_hash: string; hash: string }>('SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq DESC LIMIT 1'),
      records: db.prepare<[number, number], Row>('SELECT seq, prev_hash, hash, document FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?'),
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
    return this.s.records.all(afterSeq, limit).map((row) => ({
      seq: row.seq,
      prevHash: row.prev_hash,
      hash: row.hash,
      event: JSON.parse(row.document) as Record<string, unknown>,
    }));
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
}
