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

/** A JSON Schema check of one document or event: null when it validates, otherwise the first thing wrong with it. */
export interface SchemaCheck {
  check(value: unknown): string | null;
}

/**
 * The records a walker has read, as far as the manifest speaks of them: their
 * count, sequence range and last record hash. What the walkers of formats
 * whose rows cannot be re-hashed (XML, CSV) check the manifest against.
 */
export class RecordTally {
  private count = 0;
  private firstSeq: number | null = null;
  private lastSeq: number | null = null;
  private lastHash: string | null = null;

  /** The sequence of the last record read. */
  get last(): number | null {
    return this.lastSeq;
  }

  add(seq: number, hash: string | null): void {
    this.count++;
    this.firstSeq ??= seq;
    this.lastSeq = seq;
    this.lastHash = hash;
  }

  summary(): BodySummary {
    return { count: this.count, firstSeq: this.firstSeq, lastSeq: this.lastSeq, lastHash: this.lastHash };
  }
}
