import { Inject, Injectable, Optional } from '@nestjs/common';

/**
 * `device_full`: this device holds its whole quota of live entries (it alone is refused, 429, until the
 * oldest ages out: `retryAfterMs`); `full`: every device together fills the memory (503, last resort).
 */
export type ReplayCheck = { readonly outcome: 'first' | 'replayed' | 'full' } | { readonly outcome: 'device_full'; readonly retryAfterMs: number };

export interface ReplayCapacity {
  /** Live entries for all devices together; about 200 bytes each. */
  readonly total: number;
  /** Live entries one device may hold. */
  readonly perDevice: number;
}

/**
 * 1 000 per device: a device signing 200 requests a minute for the default 300 s window, over three
 * times the default per-device rate limit (60 a minute). 200 000 in all (about 40 MB): 200 devices
 * at their quota, reached only if that many keys are abused at once.
 */
export const DEFAULT_REPLAY_CAPACITY: ReplayCapacity = { total: 200_000, perDevice: 1_000 };

/** Overrides the capacity (tests). */
export const SIGNATURE_REPLAY_CAPACITY = Symbol.for('m2m-trust.SignatureReplayCapacity');

const FIRST: ReplayCheck = { outcome: 'first' };
const REPLAYED: ReplayCheck = { outcome: 'replayed' };
const FULL: ReplayCheck = { outcome: 'full' };

/**
 * Signatures (or nonces) seen within their acceptance window, in this
 * process only: enough where one process verifies every signed request (the
 * embedded mode, or one challenge service). Several instances need one shared
 * store (docs/http-signatures.md). Full of live entries, it refuses rather
 * than forgets: forgetting would let a captured request be replayed. Each
 * device has a quota of its own, so one device (or a stolen key) fills only
 * its own share and is refused alone; the total cap is the last resort.
 */
@Injectable()
export class SignatureReplayCache {
  /** Device id → (key → the time, in ms, after which its signature is refused as too old anyway). */
  private readonly seen = new Map<string, Map<string, number>>();
  private entries = 0;
  private readonly capacity: ReplayCapacity;

  constructor(@Optional() @Inject(SIGNATURE_REPLAY_CAPACITY) capacity: ReplayCapacity | null = null) {
    this.capacity = capacity ?? DEFAULT_REPLAY_CAPACITY;
  }

  /** Records `key` of `deviceId` until `untilMs`; says whether it was new. */
  use(deviceId: string, key: string, untilMs: number, nowMs: number): ReplayCheck {
    let own = this.seen.get(deviceId);
    const until = own?.get(key);
    if (until !== undefined && until >= nowMs) return REPLAYED;
    if (own && until === undefined && own.size >= this.capacity.perDevice) {
      this.sweepDevice(deviceId, own, nowMs);
      if (own.size >= this.capacity.perDevice) return { outcome: 'device_full', retryAfterMs: Math.max(1, Math.min(...own.values()) - nowMs + 1) };
      own = this.seen.get(deviceId);
    }
    if (until === undefined && this.entries >= this.capacity.total) {
      this.sweep(nowMs);
      if (this.entries >= this.capacity.total) return FULL;
      own = this.seen.get(deviceId);
    }
    if (!own) this.seen.set(deviceId, (own = new Map()));
    if (until === undefined) this.entries++;
    own.set(key, untilMs);
    return FIRST;
  }

  get size(): number {
    return this.entries;
  }

  private sweepDevice(deviceId: string, own: Map<string, number>, nowMs: number): void {
    for (const [key, until] of own) {
      if (until >= nowMs) continue;
      own.delete(key);
      this.entries--;
    }
    if (own.size === 0) this.seen.delete(deviceId);
  }

  private sweep(nowMs: number): void {
    for (const [deviceId, own] of this.seen) this.sweepDevice(deviceId, own, nowMs);
  }
}
