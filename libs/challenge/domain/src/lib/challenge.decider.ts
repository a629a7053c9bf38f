import { assertUnreachable, type Decider, DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import {
  type ChallengeEvent,
  type ChallengeIssued,
  type DeviceAuthenticationFailed,
  UnknownDeviceReason,
  VerifyFailureReason,
} from '@m2m-trust/shared-events';

import type { ChallengeCommand, DeviceStanding, IssueChallenge, VerifyChallenge } from './challenge.commands';
import { formatChallengeNonce } from './challenge-nonce';
import { hasLockoutRecord, isLocked, type LockoutStanding } from './lockout';

type FailureReason = DeviceAuthenticationFailed['data']['reason'];
/** Why a challenge was issued as a decoy: the device could not have authenticated when it was requested. */
export type DecoyReason = 'DEVICE_NOT_FOUND' | 'DEVICE_REVOKED' | 'DEVICE_LOCKED';

interface IssuedChallenge {
  readonly challengeId: string;
  readonly deviceId: string;
  readonly nonce: string;
  readonly expiresAt: string;
  /** Set on a decoy: it looks like any challenge, and never verifies. */
  readonly decoy: DecoyReason | null;
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
        decoy: null,
      };
    case 'DeviceAuthenticationFailed':
      if (state.status === 'none') return state;
      // Refused when requested: the challenge stands, as a decoy, for its verify to be refused like any other.
      if (event.data.phase === 'challenge') return { ...state, decoy: event.data.reason as DecoyReason };
      // The first verify attempt consumes the challenge, whatever its outcome.
      return { ...state, status: 'consumed' };
    case 'DeviceAuthenticated':
      return state.status === 'none' ? state : { ...state, status: 'consumed' };
    // Automatic locks (before issue 17) rode in the stream of the failure that caused them; the challenge is unchanged.
    case 'DeviceLocked':
    case 'DeviceUnlocked':
      return state;
    default:
      return assertUnreachable(event);
  }
}

function thumbprintOf(device: DeviceStanding): string | null {
  return device.status === 'unknown' ? null : device.keyThumbprint;
}

function decoyReason({ device, lockout, now }: IssueChallenge['data']): DecoyReason | null {
  if (device.status === 'unknown') return UnknownDeviceReason.DeviceNotFound;
  if (device.status === 'revoked') return VerifyFailureReason.DeviceRevoked;
  if (isLocked(lockout, now)) return VerifyFailureReason.DeviceLocked;
  return null;
}

/**
 * Every well-formed request gets a challenge of the same shape: one for a device that cannot authenticate (unknown,
 * revoked, locked) is a decoy, recorded with the failure it is, so the requester learns nothing about the device.
 */
function issue(command: IssueChallenge, state: ChallengeState): ChallengeEvent[] {
  const { challengeId, deviceId, device, now } = command.data;
  if (state.status !== 'none') throw new DomainError(ErrorCode.ConcurrencyConflict, `Challenge ${challengeId} exists already`);
  const expiresAt = new Date(Date.parse(now) + command.data.ttlSeconds * 1000).toISOString();
  const nonce = formatChallengeNonce({ audience: command.data.audience, challengeId, deviceId, random: command.data.random, expiresAt });
  const issued: ChallengeIssued = { type: 'ChallengeIssued', data: { challengeId, deviceId, nonce, issuedAt: now, expiresAt } };
  const decoy = decoyReason(command.data);
  if (decoy === null) return [issued];
  const failed: DeviceAuthenticationFailed = {
    type: 'DeviceAuthenticationFailed',
    data: { challengeId, deviceId, keyThumbprint: thumbprintOf(device), method: 'challenge-response', reason: decoy, failedAt: now, phase: 'challenge' },
  };
  return [issued, failed];
}

/** The rules a verify must pass before its signature matters: the challenge's own state, the same for a decoy. */
function verifyPrecheck(state: ChallengeState, now: string): FailureReason | null {
  if (state.status === 'consumed') return VerifyFailureReason.ChallengeAlreadyUsed;
  if (state.status === 'issued' && Date.parse(now) >= Date.parse(state.expiresAt)) return VerifyFailureReason.ChallengeExpired;
  return null;
}

/**
 * What only the device's key holder is told: that the device is revoked or locked (now, or when the challenge was
 * requested). Null when nothing stands in the way.
 */
function refusalForKeyHolder(decoy: DecoyReason | null, device: DeviceStanding, lockout: LockoutStanding, now: string): FailureReason | null {
  if (device.status === 'revoked') return VerifyFailureReason.DeviceRevoked;
  if (isLocked(lockout, now)) return VerifyFailureReason.DeviceLocked;
  // A decoy never verifies, even when the device was registered or unlocked since.
  if (decoy === UnknownDeviceReason.DeviceNotFound) return VerifyFailureReason.SignatureInvalid;
  return decoy;
}

/**
 * The order decides what a stranger can learn: consumed and expired are the challenge's own state, and a non-canonical
 * signature is non-canonical for any device; past them, only a signature valid under the device's registered key is
 * told the device's state. An unknown device is recorded as DEVICE_NOT_FOUND and answered as a wrong signature
 * (answeredReason).
 */
function verify(command: VerifyChallenge, state: ChallengeState): ChallengeEvent[] {
  if (state.status === 'none') throw new DomainError(ErrorCode.ConcurrencyConflict, 'Cannot verify a challenge that was never issued');
  const { now, device, lockout } = command.data;
  const fail = (reason: FailureReason): ChallengeEvent[] => [
    {
      type: 'DeviceAuthenticationFailed',
      data: { challengeId: state.challengeId, deviceId: state.deviceId, keyThumbprint: thumbprintOf(device), method: 'challenge-response', reason, failedAt: now },
    },
  ];
  const refused = verifyPrecheck(state, now);
  if (refused) return fail(refused);
  // Checked whatever the device's standing (against a key no one holds when it is unknown), so every answer costs alike.
  // A non-canonical signature is one whatever the device: told as such to everyone, an unknown device's included.
  const signature = command.data.checkSignature(state.nonce);
  switch (signature) {
    case 'non_canonical':
      return fail(VerifyFailureReason.SignatureNonCanonical);
    case 'invalid':
      return fail(device.status === 'unknown' ? UnknownDeviceReason.DeviceNotFound : VerifyFailureReason.SignatureInvalid);
    case 'valid':
      // Only by chance (or by a key registered since a decoy): an unknown device has no key that could sign.
      if (device.status === 'unknown') return fail(UnknownDeviceReason.DeviceNotFound);
      break;
    default:
      return assertUnreachable(signature);
  }
  const keyHolderRefusal = refusalForKeyHolder(state.decoy, device, lockout, now);
  if (keyHolderRefusal) return fail(keyHolderRefusal);
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
}

/** What the caller is told of a recorded failure: an unknown device is answered as a wrong signature. */
export function answeredReason(reason: FailureReason): Exclude<FailureReason, 'DEVICE_NOT_FOUND'> {
  return reason === UnknownDeviceReason.DeviceNotFound ? VerifyFailureReason.SignatureInvalid : reason;
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
