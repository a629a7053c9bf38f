import { Inject, Injectable, Optional } from '@nestjs/common';

export type ReplayCheck = 'first' | 'replayed' | 'full';

const CAPACITY = 200_000;

/** Overrides the capacity (tests); entries are about 200 bytes each. */
export const SIGNATURE_REPLAY_CAPACITY = Symbol.for('m2m-trust.SignatureReplayCapacity');

/**
 * Signatures (or nonces) seen within their acceptance window, in this
 * process only: enough for the embedded mode, where one process answers every
 * request. Several instances need one shared store (docs/http-signatures.md).
 * Full of live entries, it refuses rather than forgets: forgetting would let a
 * captured request be replayed.
 */
@Injectable()
export class SignatureReplayCache {
  /** Key → the time (ms) after which its signature is refused as too old anyway. */
  private readonly seen = new Map<string, number>();
  private readonly capacity: number;

  constructor(@Optional() @Inject(SIGNATURE_REPLAY_CAPACITY) capacity: number | null = null) {
    this.capacity = capacity ?? CAPACITY;
  }

  /** Records `key` until `untilMs`; says whether it was new. */
  use(key: string, untilMs: number, nowMs: number): ReplayCheck {
    const until = this.seen.get(key);
    if (until !== undefined && until >= nowMs) return 'replayed';
    if (until === undefined && this.seen.size >= this.capacity) {
      this.sweep(nowMs);
      if (this.seen.size >= this.capacity) return 'full';
    }
    this.seen.set(key, untilMs);
    return 'first';
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(nowMs: number): void {
    for (const [key, until] of this.seen) if (until < nowMs) this.seen.delete(key);
  }
}
