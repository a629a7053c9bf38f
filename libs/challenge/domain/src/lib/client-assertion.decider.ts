import { assertUnreachable, type Decider } from '@m2m-trust/shared-domain';
import {
  type AssertionFailureReason,
  AssertionFailureReason as Reasons,
  type ChallengeEvent,
  type DeviceAuthenticationFailed,
  UnknownDeviceReason,
  VerifyFailureReason,
} from '@m2m-trust/shared-events';

import type { DeviceStanding } from './challenge.commands';
import { hasLockoutRecord, isLocked, type LockoutStanding } from './lockout';

/**
 * What the handler found checking the assertion JWT (signature with the
 * device's key, then its claims): the domain decides, jose checks.
 */
export type AssertionCheck = 'valid' | 'SIGNATURE_INVALID' | Exclude<AssertionFailureReason, 'ASSERTION_REUSED'>;

/**
 * One client assertion (RFC 7523 private_key_jwt) presented at the token
 * endpoint. Its stream is named by device and `jti`, so a second use of the
 * same `jti` finds the first one's success and is refused.
 */
export type AuthenticateWithAssertion = {
  readonly type: 'AuthenticateWithAssertion';
  readonly data: {
    readonly deviceId: string;
    /** The assertion's `jti`; null when it had none (then it is refused as invalid). */
    readonly assertionId: string | null;
    readonly now: string;
    readonly device: DeviceStanding;
    readonly lockout: LockoutStanding;
    /** Checked with the device's registered key (revoked or not), or with a key no one holds when it is unknown. */
    readonly check: AssertionCheck;
    readonly tokenId: string;
  };
};

export type ClientAssertionState = { readonly status: 'unused' } | { readonly status: 'used' };

function evolve(state: ClientAssertionState, event: ChallengeEvent): ClientAssertionState {
  switch (event.type) {
    // Only a success spends a jti: a forged assertion cannot burn the real device's next one.
    case 'DeviceAuthenticated':
      return { status: 'used' };
    case 'DeviceAuthenticationFailed':
    case 'DeviceLocked':
    case 'DeviceUnlocked':
    case 'ChallengeIssued':
      return state;
    default:
      return assertUnreachable(event);
  }
}

type FailureReason = DeviceAuthenticationFailed['data']['reason'];

function authenticate(command: AuthenticateWithAssertion, state: ClientAssertionState): ChallengeEvent[] {
  const { deviceId, assertionId, now, device, lockout, check } = command.data;
  const fail = (reason: FailureReason): ChallengeEvent[] => [
    {
      type: 'DeviceAuthenticationFailed',
      data: {
        challengeId: null,
        deviceId,
        keyThumbprint: device.status === 'unknown' ? null : device.keyThumbprint,
        method: 'private_key_jwt',
        reason,
        failedAt: now,
        ...(assertionId !== null ? { assertionId } : {}),
      },
    } satisfies DeviceAuthenticationFailed,
  ];
  // As a verify: recorded as what it is, answered as a wrong signature; the device's state only to its key holder.
  if (device.status === 'unknown') return fail(UnknownDeviceReason.DeviceNotFound);
  if (check !== 'valid') return fail(check);
  if (device.status !== 'active') return fail(VerifyFailureReason.DeviceRevoked);
  if (isLocked(lockout, now)) return fail(VerifyFailureReason.DeviceLocked);
  if (assertionId === null) return fail(Reasons.AssertionInvalid);
  if (state.status === 'used') return fail(Reasons.AssertionReused);
  return [
    {
      type: 'DeviceAuthenticated',
      data: {
        challengeId: null,
        deviceId,
        keyThumbprint: device.keyThumbprint,
        method: 'private_key_jwt',
        verifiedAt: now,
        tokenId: command.data.tokenId,
        assertionId,
        ...(hasLockoutRecord(lockout) ? { resetsLockout: true as const } : {}),
      },
    },
  ];
}

export const clientAssertionDecider: Decider<AuthenticateWithAssertion, ChallengeEvent, ClientAssertionState> = {
  initialState: { status: 'unused' },
  evolve,
  decide: authenticate,
};
