import type { ChainLink, TreeNode } from '@m2m-trust/audit-domain';
import type { PgExecutor } from '@m2m-trust/shared-postgres';

import type { AuditChainStore, ChainRecord, StoredCheckpoint } from '../audit-chain.store';
import { INDEXED_COLUMN_NAMES, INDEXED_COLUMNS_SQL } from '../audit-tree-rows';
import { readTreeHashes, readTreeSize } from './postgres-audit-tree';

interface CheckpointRow {
  readonly seq: string;
  readonly head: string;
  readonly signed_at: string;
  readonly kid: string;
  readonly jws: string;
  readonly note: string | null;
}

type RecordRow = {
  readonly seq: string;
  readonly prev_hash: string;
  readonly hash: string;
  readonly document: Record<string, unknown>;
} & Readonly<Record<(typeof INDEXED_COLUMN_NAMES)[number], string | null>>;

const toCheckpoint = (row: CheckpointRow): StoredCheckpoint => ({
  seq: Number(row.seq),
  head: row.head,
  signedAt: row.signed_at,
  kid: row.kid,
  jws: row.jws,
  note: row.note,
});

const toRecord = (row: RecordRow): ChainRecord => ({
  seq: Number(row.seq),
  prevHash: row.prev_hash,
  hash: row.hash,
  event: row.document,
  indexed: INDEXED_COLUMN_NAMES.map((column) => row[column]),
});

const RECORD_COLUMNS = `seq, prev_hash, hash, document, ${INDEXED_COLUMNS_SQL}`;
const CHECKPOINT_COLUMNS = 'seq, head, signed_at, kid, jws, note';

/** The audit log as a hash chain and Merkle tree on PostgreSQL (bigint `seq` comes back as a string: the log stays far below 2^53). */
export class PostgresAuditChainStore implements AuditChainStore {
  constructor(private readonly db: PgExecutor) {}

  async head(): Promise<ChainLink | null> {
    const { rows } = await this.db.query<{ seq: string; prev_hash: string; hash: string }>('SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
    const row = rows[0];
    return row ? { seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash } : null;
  }

  async records(afterSeq: number, limit: number): Promise<readonly ChainRecord[]> {
    const { rows } = await this.db.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit]);
    return rows.map(toRecord);
  }

  async recordOf(eventId: string): Promise<ChainRecord | null> {
    const { rows } = await this.db.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM audit_events WHERE event_id = $1`, [eventId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  treeSize(): Promise<number> {
    return readTreeSize(this.db);
  }

  treeHashes(nodes: readonly TreeNode[]): Promise<readonly (Buffer | undefined)[]> {
    return readTreeHashes(this.db, nodes);
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | null> {
    const { rows } = await this.db.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`);
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }

  async checkpointAt(seq: number): Promise<StoredCheckpoint | null> {
    const { rows } = await this.db.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE seq = $1`, [seq]);
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }

  async checkpoints(): Promise<readonly StoredCheckpoint[]> {
    const { rows } = await this.db.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq`);
    return rows.map(toCheckpoint);
  }

  async saveCheckpoint(c: StoredCheckpoint): Promise<void> {
    // Two instances may sign the same head: the first checkpoint of a seq stands (DO NOTHING needs no UPDATE grant).
    await this.db.query(`INSERT INTO audit_checkpoints (${CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (seq) DO NOTHING`, [
      c.seq,
      c.head,
      c.signedAt,
      c.kid,
      c.jws,
      c.note,
    ]);
  }
}
