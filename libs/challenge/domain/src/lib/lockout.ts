import { assertUnreachable, DomainError, ErrorCode, requirePlainText } from '@m2m-trust/shared-domain';
import type { ChallengeEvent, DeviceLocked, DeviceUnlocked } from '@m2m-trust/shared-events';

/**
 * A device's failure record and lock, as the lockout projection keeps it. Failures are counted for operators to see;
 * they no longer lock anything (docs/abuse-limits.md "Lockouts"): only an operator locks a device.
 */
export interface LockoutStanding {
  /** Failures since the last success or unlock (a decoy challenge's failure included). */
  readonly consecutiveFailures: number;
  readonly lastFailureAt: string | null;
  readonly lastFailureReason: string | null;
  /** Locks since the last success or unlock. */
  readonly lockNumber: number;
  /** The end of the latest lock (it may have passed); null: no lock on record, or an open-ended one. */
  readonly lockedUntil: string | null;
  /** An operator's lock without an end: in force until an operator unlocks the device. */
  readonly lockedIndefinitely: boolean;
  /** The operator's reason for the latest lock; null for no lock or an automatic one recorded before issue 17. */
  readonly lockReason: string | null;
}

export const CLEAN_LOCKOUT: LockoutStanding = {
  consecutiveFailures: 0,
  lastFailureAt: null,
  lastFailureReason: null,
  lockNumber: 0,
  lockedUntil: null,
  lockedIndefinitely: false,
  lockReason: null,
};

/** The lock in force at `now` (its end, null when open-ended), or undefined when the device is not locked. */
export function activeLock(standing: LockoutStanding, now: string): { readonly until: string | null } | undefined {
  if (standing.lockedIndefinitely) return { until: null };
  return standing.lockedUntil !== null && Date.parse(standing.lockedUntil) > Date.parse(now) ? { until: standing.lockedUntil } : undefined;
}

export const isLocked = (standing: LockoutStanding, now: string): boolean => activeLock(standing, now) !== undefined;

/** Whether a success has a record to clear (so the projection need not hear of every success). */
export const hasLockoutRecord = (standing: LockoutStanding): boolean =>
  standing.consecutiveFailures > 0 || standing.lockNumber > 0 || standing.lockedUntil !== null || standing.lockedIndefinitely;

/** The lockout projection's evolve: one device's record after one of its events. */
export function evolveLockout(standing: LockoutStanding, event: ChallengeEvent): LockoutStanding {
  switch (event.type) {
    case 'DeviceAuthenticationFailed':
      return {
        ...standing,
        consecutiveFailures: standing.consecutiveFailures + 1,
        lastFailureAt: event.data.failedAt,
        lastFailureReason: event.data.reason,
      };
    case 'DeviceLocked':
      return {
        ...standing,
        // An automatic lock (recorded before issue 17) started the count afresh; an operator's leaves it to be seen.
        consecutiveFailures: event.data.reason === undefined ? 0 : standing.consecutiveFailures,
        lockNumber: event.data.lockNumber,
        lockedUntil: event.data.lockedUntil,
        lockedIndefinitely: event.data.lockedUntil === null,
        lockReason: event.data.reason ?? null,
      };
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

/** An operator locks a device, until `until` or (null) until unlocked; a new lock replaces the one in force. */
export function lockDevice(deviceId: string, standing: LockoutStanding, reason: string, until: string | null, now: string): DeviceLocked[] {
  requirePlainText('/reason', reason);
  if (until !== null && Date.parse(until) <= Date.parse(now)) {
    throw new DomainError(ErrorCode.ValidationFailed, `until must be in the future (it is ${until}, the time is ${now})`, [{ path: '/until', message: 'must be in the future' }]);
  }
  return [
    {
      type: 'DeviceLocked',
      data: { deviceId, failures: standing.consecutiveFailures, lockNumber: standing.lockNumber + 1, lockedAt: now, lockedUntil: until, reason },
    },
  ];
}

/** An operator lifts a device's lock (and forgets its failures); nothing to record when there is no record. */
export function unlockDevice(deviceId: string, standing: LockoutStanding, reason: string | null, now: string): DeviceUnlocked[] {
  requirePlainText('/reason', reason);
  return hasLockoutRecord(standing) ? [{ type: 'DeviceUnlocked', data: { deviceId, reason, unlockedAt: now } }] : [];
}
