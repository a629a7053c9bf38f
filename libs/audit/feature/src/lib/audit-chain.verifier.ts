import { AUDIT_CHAIN_STORE, type AuditChainStore, indexMismatch } from '@m2m-trust/audit-data-access';
import {
  type ChainLink,
  type ChainProblem,
  ChainVerifier,
  openCheckpointNote,
  readTree,
  TreeFrontier,
  treeRoot,
  verifyCheckpointJws,
} from '@m2m-trust/audit-domain';

import { Inject, Injectable } from '@nestjs/common';

import { AuditCheckpointService } from './audit-checkpoint.service';

export type VerifyProblem = ChainProblem | 'checkpoint_signature_invalid' | 'checkpoint_mismatch' | 'truncated' | 'index_mismatch' | 'tree_mismatch';

export interface ChainReport {
  readonly ok: boolean;
  readonly verifiedRecords: number;
  readonly head: ChainLink | null;
  readonly checkpointsVerified: number;
  /** The first record (or checkpoint) that is not what the chain says; `column` names the query column of an index_mismatch. */
  readonly fault?: { readonly seq: number; readonly problem: VerifyProblem; readonly column?: string };
}

/** The root and chain head each checkpoint signed, by tree size. */
interface Signed {
  readonly head: string;
  readonly root: Buffer | null;
}

/**
 * Walks the stored log from record 1 and every signed checkpoint, and names
 * the first record that was edited, removed or reordered behind the service's
 * back: its chain link, the query columns derived again from its event (so a
 * filtered query cannot be made to hide it), and the Merkle tree recomputed
 * beside it against every checkpoint's signed root and the stored tree that
 * proofs are served from. Checkpoints catch what rehashing the whole log
 * would hide.
 */
@Injectable()
export class AuditChainVerifier {
  constructor(
    @Inject(AUDIT_CHAIN_STORE) private readonly chain: AuditChainStore,
    private readonly checkpoints: AuditCheckpointService,
  ) {}

  async verify(): Promise<ChainReport> {
    const signed = new Map<number, Signed>();
    let checkpointsVerified = 0;
    for (const checkpoint of await this.chain.checkpoints()) {
      const claims = await verifyCheckpointJws(checkpoint.jws, this.checkpoints.keySet());
      const verifier = checkpoint.note === null ? null : this.checkpoints.verifierFor(checkpoint.note);
      const note = checkpoint.note === null || verifier === null ? null : openCheckpointNote(checkpoint.note, verifier);
      const noteHolds = checkpoint.note === null || (note !== null && note.size === checkpoint.seq && note.chainHead === checkpoint.head);
      if (!claims || claims.seq !== checkpoint.seq || claims.head !== checkpoint.head || !noteHolds) {
        return { ok: false, verifiedRecords: 0, head: null, checkpointsVerified, fault: { seq: checkpoint.seq, problem: 'checkpoint_signature_invalid' } };
      }
      signed.set(claims.seq, { head: claims.head, root: note?.root ?? null });
      checkpointsVerified++;
    }
    const tree = new TreeFrontier();
    // The leaf from the bytes the record hash was checked over: one canonicalisation a record.
    const walker = new ChainVerifier({ contiguous: true, onLeaf: (_link, leaf) => tree.append(leaf, () => undefined) });
    const report = (fault: ChainReport['fault']): ChainReport => ({ ok: false, verifiedRecords: walker.verified, head: walker.head, checkpointsVerified, fault });
    for (let after = 0; ; ) {
      const batch = await this.chain.records(after, 1000);
      if (batch.length === 0) break;
      for (const record of batch) {
        const fault = walker.check(record.event, record);
        if (fault) return report(fault);
        const column = record.indexed ? indexMismatch(record.event, record.indexed) : null;
        if (column !== null) return report({ seq: record.seq, problem: 'index_mismatch', column });
        const checkpoint = signed.get(record.seq);
        if (checkpoint && (checkpoint.head !== record.hash || (checkpoint.root !== null && !checkpoint.root.equals(tree.root())))) {
          return report({ seq: record.seq, problem: 'checkpoint_mismatch' });
        }
        after = record.seq;
      }
    }
    const last = walker.head?.seq ?? 0;
    const lastSigned = Math.max(0, ...signed.keys());
    if (last < lastSigned) {
      // Records a checkpoint vouched for are gone from the end of the log.
      return report({ seq: last + 1, problem: 'truncated' });
    }
    if (!(await this.storedTreeHolds(last, tree.root()))) return report({ seq: last, problem: 'tree_mismatch' });
    return { ok: true, verifiedRecords: walker.verified, head: walker.head, checkpointsVerified };
  }

  /** Whether the tree proofs are served from has exactly the records walked, with the root they give. */
  private async storedTreeHolds(size: number, root: Buffer): Promise<boolean> {
    if ((await this.chain.treeSize()) !== size) return false;
    try {
      return (await readTree((read) => treeRoot(read, size), (nodes) => this.chain.treeHashes(nodes))).equals(root);
    } catch {
      return false;
    }
  }
}
