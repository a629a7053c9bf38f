import { assertUnreachable } from '@m2m-trust/shared-domain';
import type { ChallengeEvent, DeviceLocked, DeviceUnlocked, VerifyFailureReason } from '@m2m-trust/shared-events';

/** When repeated failures lock a device, and for how long (docs/abuse-limits.md). */
export interface LockoutPolicy {
  /** Consecutive failures that lock the device; 0: never lock. */
  readonly threshold: number;
  /** The first lock's length; each further lock before a success doubles it. */
  readonly seconds: number;
  readonly maxSeconds: number;
}

/** A device's failure record, as the lockout projection keeps it. */
export interface LockoutStanding {
  /** Failures since the last success, lock or unlock. */
  readonly consecutiveFailures: number;
  /** Locks since the last success or unlock: the next lock lasts seconds × 2^lockNumber. */
  readonly lockNumber: number;
  /** The end of the latest lock (it may have passed); null: never locked since the last reset. */
  readonly lockedUntil: string | null;
}

export const CLEAN_LOCKOUT: LockoutStanding = { consecutiveFailures: 0, lockNumber: 0, lockedUntil: null };

/** The end of the lock in force at `now`, or null when the device is not locked. */
export function activeLockEnd(standing: LockoutStanding, now: string): string | null {
  return standing.lockedUntil !== null && Date.parse(standing.lockedUntil) > Date.parse(now) ? standing.lockedUntil : null;
}

/** Seconds from `now` until `end`, rounded up (what Retry-After says). */
export function secondsUntil(end: string, now: string): number {
  return Math.max(1, Math.ceil((Date.parse(end) - Date.parse(now)) / 1000));
}

/**
 * Failures that say nothing new about who is knocking do not count: a revoked
 * device is refused for good anyway, and counting attempts during a lock
 * would let a lock extend itself.
 */
const COUNTED = (reason: string): boolean => reason !== ('DEVICE_REVOKED' satisfies VerifyFailureReason) && reason !== ('DEVICE_LOCKED' satisfies VerifyFailureReason);

/** The lock a counted failure at `now` starts, if it reaches the threshold. */
export function lockAfterFailure(deviceId: string, standing: LockoutStanding, policy: LockoutPolicy, reason: string, now: string): DeviceLocked | null {
  if (policy.threshold === 0 || !COUNTED(reason)) return null;
  const failures = standing.consecutiveFailures + 1;
  if (failures < policy.threshold) return null;
  const seconds = Math.min(policy.seconds * 2 ** standing.lockNumber, policy.maxSeconds);
  return {
    type: 'DeviceLocked',
    data: {
      deviceId,
      failures,
      lockNumber: standing.lockNumber + 1,
      lockedAt: now,
      lockedUntil: new Date(Date.parse(now) + seconds * 1000).toISOString(),
    },
  };
}

/** Whether a success has a failure record to clear (so the projection need not hear of every success). */
export const hasLockoutRecord = (standing: LockoutStanding): boolean => standing.consecutiveFailures > 0 || standing.lockNumber > 0 || standing.lockedUntil !== null;

/** The lockout projection's evolve: one device's record after one of its events. */
export function evolveLockout(standing: LockoutStanding, event: ChallengeEvent): LockoutStanding {
  switch (event.type) {
    case 'DeviceAuthenticationFailed':
      return COUNTED(event.data.reason) ? { ...standing, consecutiveFailures: standing.consecutiveFailures + 1 } : standing;
    case 'DeviceLocked':
      return { consecutiveFailures: 0, lockNumber: event.data.lockNumber, lockedUntil: event.data.lockedUntil };
    case 'DeviceUnlocked':
      return CLEAN_LOCKOUT;
    case 'DeviceAuthenticated':
      return event.data.resetsLockout ? CLEAN_LOCKOUT : standing;
    case 'ChallengeIssued':
      return standing;
    default:
      return assertUnreachable(event);
  }
}

/** An operator lifts a device's lock (and forgets its failures); nothing to record when there is no record. */
export function unlockDevice(deviceId: string, standing: LockoutStanding, reason: string | null, now: string): DeviceUnlocked[] {
  return hasLockoutRecord(standing) ? [{ type: 'DeviceUnlocked', data: { deviceId, reason, unlockedAt: now } }] : [];
}
