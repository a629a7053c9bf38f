import { ErrorCode } from '@m2m-trust/shared-domain';
import { isDomainError } from '@m2m-trust/shared-domain';
import { deciderSpec } from '@m2m-trust/shared-domain/testing';
import type { ChallengeIssued, DeviceAuthenticated, DeviceAuthenticationFailed, DeviceLocked } from '@m2m-trust/shared-events';

import type { DeviceStanding, VerifyChallenge } from './challenge.commands';
import { challengeDecider } from './challenge.decider';
import { CLEAN_LOCKOUT, evolveLockout, type LockoutPolicy, type LockoutStanding } from './lockout';

const ISSUED_AT = '2026-11-21T08:00:00.000Z';
const EXPIRES_AT = '2026-11-21T08:01:00.000Z';
const JUST_BEFORE = '2026-11-21T08:00:59.999Z';
const active: DeviceStanding = { status: 'active', keyThumbprint: 'thumb' };
const revoked: DeviceStanding = { status: 'revoked', keyThumbprint: 'thumb' };
const RANDOM = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';

const issued: ChallengeIssued = {
  type: 'ChallengeIssued',
  data: {
    challengeId: 'c1',
    deviceId: 'meter-1',
    nonce: `m2m-trust-challenge/v1;aud=https://auth.example.com;cid=c1;did=meter-1;rnd=${RANDOM};exp=${EXPIRES_AT}`,
    issuedAt: ISSUED_AT,
    expiresAt: EXPIRES_AT,
  },
};
const success = (at: string, resetsLockout = false): DeviceAuthenticated => ({
  type: 'DeviceAuthenticated',
  data: {
    challengeId: 'c1',
    deviceId: 'meter-1',
    keyThumbprint: 'thumb',
    method: 'challenge-response',
    verifiedAt: at,
    tokenId: 'token-1',
    ...(resetsLockout ? { resetsLockout: true as const } : {}),
  },
});
const POLICY: LockoutPolicy = { threshold: 3, seconds: 60, maxSeconds: 200 };
const locked = (failures: number, lockNumber: number, lockedUntil: string, at = JUST_BEFORE): DeviceLocked => ({
  type: 'DeviceLocked',
  data: { deviceId: 'meter-1', failures, lockNumber, lockedAt: at, lockedUntil },
});
const failure = (reason: DeviceAuthenticationFailed['data']['reason'], at = JUST_BEFORE): DeviceAuthenticationFailed => ({
  type: 'DeviceAuthenticationFailed',
  data: { challengeId: 'c1', deviceId: 'meter-1', keyThumbprint: 'thumb', method: 'challenge-response', reason, failedAt: at },
});

const spec = deciderSpec(challengeDecider);
const verify = (
  now: string,
  device: DeviceStanding,
  signature: 'valid' | 'invalid' | 'non_canonical',
  lockout: LockoutStanding = CLEAN_LOCKOUT,
): VerifyChallenge => ({
  type: 'VerifyChallenge',
  data: {
    now,
    device,
    lockout,
    policy: POLICY,
    tokenId: 'token-1',
    checkSignature: (nonce) => {
      // The decider must check the signature over the nonce it issued, nothing else.
      expect(nonce).toBe(issued.data.nonce);
      return signature;
    },
  },
});
const issue = (device: DeviceStanding, lockout: LockoutStanding = CLEAN_LOCKOUT) => ({
  type: 'IssueChallenge' as const,
  data: { challengeId: 'c1', deviceId: 'meter-1', audience: 'https://auth.example.com', random: RANDOM, now: ISSUED_AT, ttlSeconds: 60, device, lockout },
});

describe('challenge decider', () => {
  describe('IssueChallenge', () => {
    it('issues a nonce that binds audience, challenge, device, randomness and expiry', () => {
      spec.given([]).when(issue(active)).then([issued]);
    });
    it('refuses an unknown device', () => {
      spec.given([]).when(issue({ status: 'unknown' })).thenFails(ErrorCode.DeviceNotFound);
    });
    it('refuses a revoked device', () => {
      spec.given([]).when(issue(revoked)).thenFails(ErrorCode.DeviceRevoked);
    });
  });

  describe('VerifyChallenge', () => {
    it('authenticates a valid signature before expiry', () => {
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'valid')).then([success(JUST_BEFORE)]);
    });
    it('refuses a wrong signature', () => {
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'invalid')).then([failure('SIGNATURE_INVALID')]);
    });
    it('refuses a non-canonical signature as such', () => {
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'non_canonical')).then([failure('SIGNATURE_NON_CANONICAL')]);
    });
    it('refuses at the expiry instant, even with a valid signature', () => {
      spec.given([issued]).when(verify(EXPIRES_AT, active, 'valid')).then([failure('CHALLENGE_EXPIRED', EXPIRES_AT)]);
    });
    it('refuses a device revoked after the challenge was issued', () => {
      spec.given([issued]).when(verify(JUST_BEFORE, revoked, 'valid')).then([failure('DEVICE_REVOKED')]);
    });
    it('refuses a replay after success', () => {
      spec.given([issued, success(JUST_BEFORE)]).when(verify(JUST_BEFORE, active, 'valid')).then([failure('CHALLENGE_ALREADY_USED')]);
    });
    it('refuses a second attempt after a failed one: the first attempt consumes the challenge', () => {
      spec
        .given([issued, failure('SIGNATURE_INVALID')])
        .when(verify(JUST_BEFORE, active, 'valid'))
        .then([failure('CHALLENGE_ALREADY_USED')]);
    });
    it('cannot verify a challenge that was never issued', () => {
      spec.given([]).when(verify(JUST_BEFORE, active, 'valid')).thenFails(ErrorCode.ConcurrencyConflict);
    });
  });

  describe('lockout', () => {
    const twoFailures: LockoutStanding = { consecutiveFailures: 2, lockNumber: 0, lockedUntil: null };
    const LOCK_END = '2026-11-21T08:01:59.999Z';

    it('counts a failure below the threshold without locking', () => {
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'invalid', { ...twoFailures, consecutiveFailures: 1 })).then([failure('SIGNATURE_INVALID')]);
    });
    it('locks the device with the failure that reaches the threshold, in the same decision', () => {
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'invalid', twoFailures)).then([failure('SIGNATURE_INVALID'), locked(3, 1, LOCK_END)]);
    });
    it('doubles each further lock before a success, up to the maximum', () => {
      const afterOneLock: LockoutStanding = { consecutiveFailures: 2, lockNumber: 1, lockedUntil: ISSUED_AT };
      spec
        .given([issued])
        .when(verify(JUST_BEFORE, active, 'invalid', afterOneLock))
        .then([failure('SIGNATURE_INVALID'), locked(3, 2, '2026-11-21T08:02:59.999Z')]);
      const afterThree: LockoutStanding = { consecutiveFailures: 2, lockNumber: 3, lockedUntil: ISSUED_AT };
      // 60 × 2^3 = 480 s, capped at 200 s.
      spec
        .given([issued])
        .when(verify(JUST_BEFORE, active, 'invalid', afterThree))
        .then([failure('SIGNATURE_INVALID'), locked(3, 4, '2026-11-21T08:04:19.999Z')]);
    });
    it('refuses a locked device even with a valid signature, and does not count or extend the lock', () => {
      const lockedNow: LockoutStanding = { consecutiveFailures: 0, lockNumber: 1, lockedUntil: EXPIRES_AT };
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'valid', lockedNow)).then([failure('DEVICE_LOCKED')]);
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'invalid', { ...lockedNow, consecutiveFailures: 2 })).then([failure('DEVICE_LOCKED')]);
    });
    it('never locks a revoked device (it is refused for good already)', () => {
      spec.given([issued]).when(verify(JUST_BEFORE, revoked, 'valid', twoFailures)).then([failure('DEVICE_REVOKED')]);
    });
    it('never locks when the threshold is 0', () => {
      const command = verify(JUST_BEFORE, active, 'invalid', { consecutiveFailures: 99, lockNumber: 0, lockedUntil: null });
      spec.given([issued]).when({ ...command, data: { ...command.data, policy: { ...POLICY, threshold: 0 } } }).then([failure('SIGNATURE_INVALID')]);
    });
    it('a success after the lock ended clears the record', () => {
      const ended: LockoutStanding = { consecutiveFailures: 1, lockNumber: 1, lockedUntil: ISSUED_AT };
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'valid', ended)).then([success(JUST_BEFORE, true)]);
    });
    it('refuses to issue a challenge to a locked device, saying when to retry', () => {
      const lockedNow: LockoutStanding = { consecutiveFailures: 0, lockNumber: 1, lockedUntil: '2026-11-21T08:00:30.200Z' };
      spec.given([]).when(issue(active, lockedNow)).thenFails(ErrorCode.DeviceLocked);
      try {
        challengeDecider.decide(issue(active, lockedNow), challengeDecider.initialState);
      } catch (error) {
        expect(isDomainError(error) && error.retry).toEqual({ afterSeconds: 31 });
      }
      spec.given([]).when(issue(active, { ...lockedNow, lockedUntil: ISSUED_AT })).then([issued]);
    });
    it('the projection evolves a record through failures, a lock, and a success', () => {
      let standing = CLEAN_LOCKOUT;
      for (const event of [failure('SIGNATURE_INVALID'), failure('CHALLENGE_EXPIRED'), failure('DEVICE_REVOKED'), failure('DEVICE_LOCKED')]) {
        standing = evolveLockout(standing, event);
      }
      expect(standing).toEqual({ consecutiveFailures: 2, lockNumber: 0, lockedUntil: null });
      standing = evolveLockout(standing, locked(3, 1, LOCK_END));
      expect(standing).toEqual({ consecutiveFailures: 0, lockNumber: 1, lockedUntil: LOCK_END });
      expect(evolveLockout(standing, success(JUST_BEFORE))).toBe(standing);
      expect(evolveLockout(standing, success(JUST_BEFORE, true))).toEqual(CLEAN_LOCKOUT);
      expect(evolveLockout(standing, { type: 'DeviceUnlocked', data: { deviceId: 'meter-1', reason: null, unlockedAt: JUST_BEFORE } })).toEqual(CLEAN_LOCKOUT);
    });
  });
});
