import { AUDIT_CHAIN_STORE, type AuditChainStore } from '@m2m-trust/audit-data-access';
import { consistencyProof, inclusionProof, leafHash, readTree, recordBytes, treeRoot } from '@m2m-trust/audit-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { Inject, Injectable } from '@nestjs/common';

import { AuditCheckpointService } from './audit-checkpoint.service';

/** Hashes in JSON answers are lowercase hex, as record hashes are; only the note carries base64 (its format says so). */
const hex = (hash: Buffer): string => hash.toString('hex');

export interface InclusionProofAnswer {
  readonly eventID: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly recordHash: string;
  readonly leafIndex: number;
  readonly leafHash: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly auditPath: readonly string[];
  /** The checkpoint note of this tree size, when one was signed. */
  readonly checkpoint: string | null;
}

export interface ConsistencyProofAnswer {
  readonly from: number;
  readonly to: number;
  readonly fromRootHash: string;
  readonly toRootHash: string;
  readonly proof: readonly string[];
  readonly fromCheckpoint: string | null;
  readonly toCheckpoint: string | null;
}

/** Inclusion and consistency proofs over the stored tree: a few indexed reads each, whatever the log's size. */
@Injectable()
export class AuditProofService {
  constructor(
    @Inject(AUDIT_CHAIN_STORE) private readonly chain: AuditChainStore,
    private readonly checkpoints: AuditCheckpointService,
  ) {}

  async inclusion(eventId: string, treeSize: number | undefined): Promise<InclusionProofAnswer> {
    const record = await this.chain.recordOf(eventId);
    if (!record) throw new DomainError(ErrorCode.EventNotFound, `No event has the ID ${eventId}`);
    const size = treeSize ?? (await this.latestSize());
    await this.checkSize('treeSize', size, record.seq);
    const { path, root } = await readTree(
      (read) => ({ path: inclusionProof(read, record.seq - 1, size), root: treeRoot(read, size) }),
      (nodes) => this.chain.treeHashes(nodes),
    );
    return {
      eventID: eventId,
      seq: record.seq,
      prevHash: record.prevHash,
      recordHash: record.hash,
      leafIndex: record.seq - 1,
      leafHash: hex(leafHash(recordBytes(record.seq, record.prevHash, record.event))),
      treeSize: size,
      rootHash: hex(root),
      auditPath: path.map(hex),
      checkpoint: (await this.chain.checkpointAt(size))?.note ?? null,
    };
  }

  async consistency(from: number, to: number | undefined): Promise<ConsistencyProofAnswer> {
    const second = to ?? (await this.latestSize());
    await this.checkSize('to', second, 0);
    if (from > second) throw new DomainError(ErrorCode.QueryParameterInvalid, `from (${from}) must not exceed to (${second})`);
    const { proof, fromRoot, toRoot } = await readTree(
      (read) => ({ proof: consistencyProof(read, from, second), fromRoot: treeRoot(read, from), toRoot: treeRoot(read, second) }),
      (nodes) => this.chain.treeHashes(nodes),
    );
    const [fromCheckpoint, toCheckpoint] = await Promise.all([this.chain.checkpointAt(from), this.chain.checkpointAt(second)]);
    return {
      from,
      to: second,
      fromRootHash: hex(fromRoot),
      toRootHash: hex(toRoot),
      proof: proof.map(hex),
      fromCheckpoint: fromCheckpoint?.note ?? null,
      toCheckpoint: toCheckpoint?.note ?? null,
    };
  }

  /** The size of the newest checkpoint (signed now if the log has moved since). */
  private async latestSize(): Promise<number> {
    return (await this.checkpoints.latest())?.seq ?? 0;
  }

  private async checkSize(name: string, size: number, atLeast: number): Promise<void> {
    const stored = await this.chain.treeSize();
    if (size < atLeast || size > stored) {
      throw new DomainError(ErrorCode.QueryParameterInvalid, `${name} must be between ${atLeast} and the tree's size, ${stored} (got ${size})`);
    }
  }
}
