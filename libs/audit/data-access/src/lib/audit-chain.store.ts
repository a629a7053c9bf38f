import type { ChainLink } from '@m2m-trust/audit-domain';

export interface ChainRecord extends ChainLink {
  readonly event: Record<string, unknown>;
}

export interface StoredCheckpoint {
  readonly seq: number;
  readonly head: string;
  readonly signedAt: string;
  readonly kid: string;
  readonly jws: string;
}

/** The audit log as a hash chain: its head, its records in order, and the signed checkpoints of it. */
export interface AuditChainStore {
  head(): Promise<ChainLink | null>;
  /** Records with seq > afterSeq, in order, a batch at a time. */
  records(afterSeq: number, limit: number): Promise<readonly ChainRecord[]>;
  latestCheckpoint(): Promise<StoredCheckpoint | null>;
  checkpoints(): Promise<readonly StoredCheckpoint[]>;
  saveCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
}

export const AUDIT_CHAIN_STORE = Symbol.for('m2m-trust.AuditChainStore');
