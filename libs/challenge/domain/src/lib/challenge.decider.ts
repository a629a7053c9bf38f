import { assertUnreachable, type Decider, DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import {
  type ChallengeEvent,
  type ChallengeIssued,
  type DeviceAuthenticationFailed,
  VerifyFailureReason,
} from '@m2m-trust/shared-events';

import type { ChallengeCommand, DeviceStanding, IssueChallenge, VerifyChallenge } from './challenge.commands';
import { formatChallengeNonce } from './challenge-nonce';
import { activeLockEnd, hasLockoutRecord, lockAfterFailure, type LockoutStanding, secondsUntil } from './lockout';

interface IssuedChallenge {
  readonly challengeId: string;
  readonly deviceId: string;
  readonly nonce: string;
  readonly expiresAt: string;
}

export type ChallengeState =
  | { readonly status: 'none' }
  | (IssuedChallenge & { readonly status: 'issued' })
  | (IssuedChallenge & { readonly status: 'consumed' });

const initialState: ChallengeState = { status: 'none' };

function evolve(state: ChallengeState, event: ChallengeEvent): ChallengeState {
  switch (event.type) {
    case 'ChallengeIssued':
      return {
        status: 'issued',
        challengeId: event.data.challengeId,
        deviceId: event.data.deviceId,
        nonce: event.data.nonce,
        expiresAt: event.data.expiresAt,
      };
    case 'DeviceAuthenticated':
    case 'DeviceAuthenticationFailed':
      // The first verify attempt consumes the challenge, whatever its outcome.
      return state.status === 'none' ? state : { ...state, status: 'consumed' };
    // The device's lock rides in the stream of the failure that caused it; the challenge is unchanged.
    case 'DeviceLocked':
    case 'DeviceUnlocked':
      return state;
    default:
      return assertUnreachable(event);
  }
}

function issue(command: IssueChallenge, state: ChallengeState): ChallengeIssued[] {
  const { challengeId, deviceId, device } = command.data;
  if (state.status !== 'none') throw new DomainError(ErrorCode.ConcurrencyConflict, `Challenge ${challengeId} exists already`);
  if (device.status === 'unknown') throw new DomainError(ErrorCode.DeviceNotFound, `Device ${deviceId} is not registered`);
  if (device.status === 'revoked') throw new DomainError(ErrorCode.DeviceRevoked, `Device ${deviceId} is revoked`);
  const lockEnd = activeLockEnd(command.data.lockout, command.data.now);
  if (lockEnd !== null) {
    throw new DomainError(ErrorCode.DeviceLocked, `Device ${deviceId} is locked until ${lockEnd} after repeated failed authentications`, [], {
      afterSeconds: secondsUntil(lockEnd, command.data.now),
    });
  }
  const expiresAt = new Date(Date.parse(command.data.now) + command.data.ttlSeconds * 1000).toISOString();
  const nonce = formatChallengeNonce({ audience: command.data.audience, challengeId, deviceId, random: command.data.random, expiresAt });
  return [{ type: 'ChallengeIssued', data: { challengeId, deviceId, nonce, issuedAt: command.data.now, expiresAt } }];
}

type FailureReason = DeviceAuthenticationFailed['data']['reason'];

/** The rules a verify must pass before its signature matters, in order; null when only the signature is left. */
function verifyPrecheck(state: ChallengeState, now: string, device: DeviceStanding, lockout: LockoutStanding): FailureReason | null {
  if (state.status === 'consumed') return VerifyFailureReason.ChallengeAlreadyUsed;
  if (state.status === 'issued' && Date.parse(now) >= Date.parse(state.expiresAt)) return VerifyFailureReason.ChallengeExpired;
  if (device.status !== 'active') return VerifyFailureReason.DeviceRevoked;
  if (activeLockEnd(lockout, now) !== null) return VerifyFailureReason.DeviceLocked;
  return null;
}

function thumbprintOf(device: DeviceStanding): string | null {
  return device.status === 'unknown' ? null : device.keyThumbprint;
}

function verify(command: VerifyChallenge, state: ChallengeState): ChallengeEvent[] {
  if (state.status === 'none') throw new DomainError(ErrorCode.ConcurrencyConflict, 'Cannot verify a challenge that was never issued');
  const { now, device, lockout, policy } = command.data;
  const fail = (reason: FailureReason): ChallengeEvent[] => {
    const failed: DeviceAuthenticationFailed = {
      type: 'DeviceAuthenticationFailed',
      data: {
        challengeId: state.challengeId,
        deviceId: state.deviceId,
        keyThumbprint: thumbprintOf(device),
        method: 'challenge-response',
        reason,
        failedAt: now,
      },
    };
    // The failure that reaches the threshold locks the device in the same append.
    const locked = lockAfterFailure(state.deviceId, lockout, policy, reason, now);
    return locked ? [failed, locked] : [failed];
  };
  const refused = verifyPrecheck(state, now, device, lockout);
  if (refused) return fail(refused);
  // Only narrows the type: verifyPrecheck has refused every other standing.
  if (device.status !== 'active') return fail(VerifyFailureReason.DeviceRevoked);
  const signature = command.data.checkSignature(state.nonce);
  switch (signature) {
    case 'non_canonical':
      return fail(VerifyFailureReason.SignatureNonCanonical);
    case 'invalid':
      return fail(VerifyFailureReason.SignatureInvalid);
    case 'valid':
      return [
        {
          type: 'DeviceAuthenticated',
          data: {
            challengeId: state.challengeId,
            deviceId: state.deviceId,
            keyThumbprint: device.keyThumbprint,
            method: 'challenge-response',
            verifiedAt: now,
            tokenId: command.data.tokenId,
            ...(hasLockoutRecord(lockout) ? { resetsLockout: true as const } : {}),
          },
        },
      ];
    default:
      return assertUnreachable(signature);
  }
}

function decide(command: ChallengeCommand, state: ChallengeState): ChallengeEvent[] {
  switch (command.type) {
    case 'IssueChallenge':
      return issue(command, state);
    case 'VerifyChallenge':
      return verify(command, state);
    default:
      return assertUnreachable(command);
  }
}

export const challengeDecider: Decider<ChallengeCommand, ChallengeEvent, ChallengeState> = { initialState, evolve, decide };
