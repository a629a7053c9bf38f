import type { ChainLink, TreeNode } from '@m2m-trust/audit-domain';

/** The record's query columns as stored, in AUDIT_RECORD_COLUMNS order from event_id to method (source_event_id excluded). */
export type IndexedColumns = readonly (string | null)[];

export interface ChainRecord extends ChainLink {
  readonly event: Record<string, unknown>;
  /** The columns queries filter on, as stored (the integrity check derives them from the event and compares). */
  readonly indexed?: IndexedColumns;
}

export interface StoredCheckpoint {
  readonly seq: number;
  readonly head: string;
  readonly signedAt: string;
  readonly kid: string;
  readonly jws: string;
  /** The C2SP tlog-checkpoint signed note of tree size `seq`; null for checkpoints signed before the tree. */
  readonly note: string | null;
}

/** The audit log as a hash chain and a Merkle tree: its head, its records in order, the tree's stored hashes, and the signed checkpoints of it. */
export interface AuditChainStore {
  head(): Promise<ChainLink | null>;
  /** Records with seq > afterSeq, in order, a batch at a time. */
  records(afterSeq: number, limit: number): Promise<readonly ChainRecord[]>;
  /** The record of an eventID, or null. */
  recordOf(eventId: string): Promise<ChainRecord | null>;
  /** How many leaves the stored tree has (the head's seq once the tree is built). */
  treeSize(): Promise<number>;
  /** The stored hashes of complete subtrees, in the order asked; undefined where none is stored. */
  treeHashes(nodes: readonly TreeNode[]): Promise<readonly (Buffer | undefined)[]>;
  latestCheckpoint(): Promise<StoredCheckpoint | null>;
  /** The checkpoint of exactly this tree size, or null. */
  checkpointAt(seq: number): Promise<StoredCheckpoint | null>;
  checkpoints(): Promise<readonly StoredCheckpoint[]>;
  saveCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
}

export const AUDIT_CHAIN_STORE = Symbol.for('m2m-trust.AuditChainStore');
