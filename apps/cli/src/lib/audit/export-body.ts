import { type VerifyFault } from './verify-fault';

/** What a walk over an export's body found, for comparison with the manifest's claims. */
export interface BodySummary {
  readonly count: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** The record hash of the last record. */
  readonly lastHash: string | null;
}

/** Reads an export's body a chunk at a time and stops at its first fault. */
export interface BodyWalker {
  /** What the walk establishes, for the report: `the chain, contiguous from record 1`. */
  readonly checks: string;
  /** Feeds the next chunk of the body; answers the first fault, after which nothing more need be fed. */
  push(chunk: Buffer): VerifyFault | null;
  /** The body has ended. */
  end(): VerifyFault | null;
  summary(): BodySummary;
}
