import type { ChainLink } from '@m2m-trust/audit-domain';
import type { PgExecutor } from '@m2m-trust/shared-postgres';

import type { AuditChainStore, ChainRecord, StoredCheckpoint } from '../audit-chain.store';

interface CheckpointRow {
  readonly seq: string;
  readonly head: string;
  readonly signed_at: string;
  readonly kid: string;
  readonly jws: string;
}

const toCheckpoint = (row: CheckpointRow): StoredCheckpoint => ({ seq: Number(row.seq), head: row.head, signedAt: row.signed_at, kid: row.kid, jws: row.jws });

/** The audit log as a hash chain on PostgreSQL (bigint `seq` comes back as a string: the log stays far below 2^53). */
export class PostgresAuditChainStore implements AuditChainStore {
  constructor(private readonly db: PgExecutor) {}

  async head(): Promise<ChainLink | null> {
    const { rows } = await this.db.query<{ seq: string; prev_hash: string; hash: string }>('SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
    const row = rows[0];
    return row ? { seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash } : null;
  }

  async records(afterSeq: number, limit: number): Promise<readonly ChainRecord[]> {
    const { rows } = await this.db.query<{ seq: string; prev_hash: string; hash: string; document: Record<string, unknown> }>(
      'SELECT seq, prev_hash, hash, document FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2',
      [afterSeq, limit],
    );
    return rows.map((row) => ({ seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash, event: row.document }));
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | null> {
    const { rows } = await this.db.query<CheckpointRow>('SELECT seq, head, signed_at, kid, jws FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }

  async checkpoints(): Promise<readonly StoredCheckpoint[]> {
    const { rows } = await this.db.query<CheckpointRow>('SELECT seq, head, signed_at, kid, jws FROM audit_checkpoints ORDER BY seq');
    return rows.map(toCheckpoint);
  }

  async saveCheckpoint(c: StoredCheckpoint): Promise<void> {
    // Two instances may sign the same head: the first checkpoint of a seq stands (DO NOTHING needs no UPDATE grant).
    await this.db.query('INSERT INTO audit_checkpoints (seq, head, signed_at, kid, jws) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING', [
      c.seq,
      c.head,
      c.signedAt,
      c.kid,
      c.jws,
    ]);
  }
}
