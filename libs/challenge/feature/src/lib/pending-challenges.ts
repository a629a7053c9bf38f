import type { ChallengeState } from '@m2m-trust/challenge-domain';

import { Injectable, type OnModuleDestroy } from '@nestjs/common';

interface Entry {
  readonly state: ChallengeState & { status: 'issued' };
  readonly version: number;
  readonly expiresAtMs: number;
}

/**
 * Challenges issued by this process and not yet verified, so the common verify
 * needs no read. Only a cache: the event store is the truth, and a challenge
 * missing here (another process issued it, or this one restarted) is read from it.
 */
@Injectable()
export class PendingChallenges implements OnModuleDestroy {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper = setInterval(() => this.sweep(), 5_000).unref();

  add(state: ChallengeState & { status: 'issued' }, version: number): void {
    this.entries.set(state.challengeId, { state, version, expiresAtMs: Date.parse(state.expiresAt) });
  }

  take(challengeId: string): { state: ChallengeState; version: number } | undefined {
    const entry = this.entries.get(challengeId);
    if (entry) this.entries.delete(challengeId);
    return entry;
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    // Expired entries are dropped; a late verify reads the store and is refused as expired.
    const now = Date.now();
    for (const [id, entry] of this.entries) if (entry.expiresAtMs <= now) this.entries.delete(id);
  }
}
