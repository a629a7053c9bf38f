import { AUDIT_CHAIN_STORE, type AuditChainStore } from '@m2m-trust/audit-data-access';
import { type ChainLink, type ChainProblem, ChainVerifier, verifyCheckpointJws } from '@m2m-trust/audit-domain';

import { Inject, Injectable } from '@nestjs/common';

import { AuditCheckpointService } from './audit-checkpoint.service';

export type VerifyProblem = ChainProblem | 'checkpoint_signature_invalid' | 'checkpoint_mismatch' | 'truncated';

export interface ChainReport {
  readonly ok: boolean;
  readonly verifiedRecords: number;
  readonly head: ChainLink | null;
  readonly checkpointsVerified: number;
  /** The first record (or checkpoint) that is not what the chain says. */
  readonly fault?: { readonly seq: number; readonly problem: VerifyProblem };
}

/**
 * Walks the stored chain from record 1 and every signed checkpoint, and names
 * the first record that was edited, removed or reordered behind the service's
 * back. Checkpoints catch what rehashing the whole chain would hide.
 */
@Injectable()
export class AuditChainVerifier {
  constructor(
    @Inject(AUDIT_CHAIN_STORE) private readonly chain: AuditChainStore,
    private readonly checkpoints: AuditCheckpointService,
  ) {}

  async verify(): Promise<ChainReport> {
    const signed = new Map<number, string>();
    let checkpointsVerified = 0;
    for (const checkpoint of await this.chain.checkpoints()) {
      const claims = await verifyCheckpointJws(checkpoint.jws, this.checkpoints.keySet());
      if (!claims || claims.seq !== checkpoint.seq || claims.head !== checkpoint.head) {
        return { ok: false, verifiedRecords: 0, head: null, checkpointsVerified, fault: { seq: checkpoint.seq, problem: 'checkpoint_signature_invalid' } };
      }
      signed.set(claims.seq, claims.head);
      checkpointsVerified++;
    }
    const walker = new ChainVerifier({ contiguous: true });
    for (let after = 0; ; ) {
      const batch = await this.chain.records(after, 1000);
      if (batch.length === 0) break;
      for (const record of batch) {
        const fault = walker.check(record.event, record);
        if (fault) return { ok: false, verifiedRecords: walker.verified, head: walker.head, checkpointsVerified, fault };
        const head = signed.get(record.seq);
        if (head !== undefined && head !== record.hash) {
          return { ok: false, verifiedRecords: walker.verified, head: walker.head, checkpointsVerified, fault: { seq: record.seq, problem: 'checkpoint_mismatch' } };
        }
        after = record.seq;
      }
    }
    const lastSigned = Math.max(0, ...signed.keys());
    if ((walker.head?.seq ?? 0) < lastSigned) {
      // Records a checkpoint vouched for are gone from the end of the log.
      return { ok: false, verifiedRecords: walker.verified, head: walker.head, checkpointsVerified, fault: { seq: (walker.head?.seq ?? 0) + 1, problem: 'truncated' } };
    }
    return { ok: true, verifiedRecords: walker.verified, head: walker.head, checkpointsVerified };
  }
}
