import { ErrorCode } from '@m2m-trust/shared-domain';
import { deciderSpec } from '@m2m-trust/shared-domain/testing';
import type { ChallengeIssued, DeviceAuthenticated, DeviceAuthenticationFailed, DeviceLocked } from '@m2m-trust/shared-events';

import type { DeviceStanding, VerifyChallenge } from './challenge.commands';
import { answeredReason, challengeDecider } from './challenge.decider';
import { CLEAN_LOCKOUT, evolveLockout, lockDevice, type LockoutStanding } from './lockout';

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
/** An automatic lock as recorded before issue 17 (no reason); still folded by the projection. */
const legacyLock = (failures: number, lockNumber: number, lockedUntil: string, at = JUST_BEFORE): DeviceLocked => ({
  type: 'DeviceLocked',
  data: { deviceId: 'meter-1', failures, lockNumber, lockedAt: at, lockedUntil },
});
const failure = (reason: DeviceAuthenticationFailed['data']['reason'], at = JUST_BEFORE, thumbprint: string | null = 'thumb'): DeviceAuthenticationFailed => ({
  type: 'DeviceAuthenticationFailed',
  data: { challengeId: 'c1', deviceId: 'meter-1', keyThumbprint: thumbprint, method: 'challenge-response', reason, failedAt: at },
});
const refusedAtIssue = (reason: 'DEVICE_NOT_FOUND' | 'DEVICE_REVOKED' | 'DEVICE_LOCKED', thumbprint: string | null = 'thumb'): DeviceAuthenticationFailed => ({
  type: 'DeviceAuthenticationFailed',
  data: { ...failure(reason, ISSUED_AT, thumbprint).data, phase: 'challenge' },
});
const operatorLocked = (lockedUntil: string | null): LockoutStanding => ({ ...CLEAN_LOCKOUT, lockNumber: 1, lockedUntil, lockedIndefinitely: lockedUntil === null, lockReason: 'stolen' });
const unknown: DeviceStanding = { status: 'unknown' };

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
    it('issues a decoy of the same shape to an unknown device, recorded as the failure it is', () => {
      spec.given([]).when(issue(unknown)).then([issued, refusedAtIssue('DEVICE_NOT_FOUND', null)]);
    });
    it('issues a decoy to a revoked device', () => {
      spec.given([]).when(issue(revoked)).then([issued, refusedAtIssue('DEVICE_REVOKED')]);
    });
    it('issues a decoy to a device an operator locked, open-ended or until a time; none once the lock has ended', () => {
      spec.given([]).when(issue(active, operatorLocked(null))).then([issued, refusedAtIssue('DEVICE_LOCKED')]);
      spec.given([]).when(issue(active, operatorLocked(EXPIRES_AT))).then([issued, refusedAtIssue('DEVICE_LOCKED')]);
      spec.given([]).when(issue(active, operatorLocked(ISSUED_AT))).then([issued]);
    });
    it('never issues one challenge twice', () => {
      spec.given([issued]).when(issue(active)).thenFails(ErrorCode.ConcurrencyConflict);
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
    it("tells a device revoked after the challenge was issued only when the signature is the device's", () => {
      spec.given([issued]).when(verify(JUST_BEFORE, revoked, 'valid')).then([failure('DEVICE_REVOKED')]);
      spec.given([issued]).when(verify(JUST_BEFORE, revoked, 'invalid')).then([failure('SIGNATURE_INVALID')]);
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

  describe('decoys and operator locks', () => {
    it("records an unknown device's verify as DEVICE_NOT_FOUND and answers it as a wrong signature", () => {
      spec.given([issued, refusedAtIssue('DEVICE_NOT_FOUND', null)]).when(verify(JUST_BEFORE, unknown, 'invalid')).then([failure('DEVICE_NOT_FOUND', JUST_BEFORE, null)]);
      expect(answeredReason('DEVICE_NOT_FOUND')).toBe('SIGNATURE_INVALID');
      // A non-canonical signature is told as such whoever the device: otherwise it would tell known devices apart.
      spec.given([issued]).when(verify(JUST_BEFORE, unknown, 'non_canonical')).then([failure('SIGNATURE_NON_CANONICAL', JUST_BEFORE, null)]);
      spec.given([issued]).when(verify(JUST_BEFORE, revoked, 'non_canonical')).then([failure('SIGNATURE_NON_CANONICAL')]);
      expect(answeredReason('DEVICE_LOCKED')).toBe('DEVICE_LOCKED');
    });
    it('a decoy is consumed, expires and replays like any challenge', () => {
      const decoy = [issued, refusedAtIssue('DEVICE_REVOKED')];
      spec.given(decoy).when(verify(EXPIRES_AT, revoked, 'valid')).then([failure('CHALLENGE_EXPIRED', EXPIRES_AT)]);
      spec.given([...decoy, failure('SIGNATURE_INVALID')]).when(verify(JUST_BEFORE, revoked, 'invalid')).then([failure('CHALLENGE_ALREADY_USED')]);
    });
    it("tells a locked device it is locked only when the signature is the device's, and never counts toward a lock", () => {
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'valid', operatorLocked(null))).then([failure('DEVICE_LOCKED')]);
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'invalid', operatorLocked(EXPIRES_AT))).then([failure('SIGNATURE_INVALID')]);
    });
    it('any number of failures never locks: a stranger cannot deny the device', () => {
      const manyFailures: LockoutStanding = { ...CLEAN_LOCKOUT, consecutiveFailures: 10_000, lastFailureAt: ISSUED_AT, lastFailureReason: 'SIGNATURE_INVALID' };
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'invalid', manyFailures)).then([failure('SIGNATURE_INVALID')]);
      spec.given([]).when(issue(active, manyFailures)).then([issued]);
      spec.given([issued]).when(verify(JUST_BEFORE, active, 'valid', manyFailures)).then([success(JUST_BEFORE, true)]);
    });
    it('a decoy never verifies, even after the lock is lifted', () => {
      spec.given([issued, refusedAtIssue('DEVICE_LOCKED')]).when(verify(JUST_BEFORE, active, 'valid')).then([failure('DEVICE_LOCKED')]);
      spec.given([issued, refusedAtIssue('DEVICE_NOT_FOUND', null)]).when(verify(JUST_BEFORE, active, 'valid')).then([failure('SIGNATURE_INVALID')]);
    });
    it('an operator locks with a reason, until a time in the future or open-ended', () => {
      expect(lockDevice('meter-1', CLEAN_LOCKOUT, 'stolen', null, ISSUED_AT)).toEqual([
        { type: 'DeviceLocked', data: { deviceId: 'meter-1', failures: 0, lockNumber: 1, lockedAt: ISSUED_AT, lockedUntil: null, reason: 'stolen' } },
      ]);
      expect(() => lockDevice('meter-1', CLEAN_LOCKOUT, 'stolen', ISSUED_AT, ISSUED_AT)).toThrow(/future/);
    });
    it('the projection folds failures, an automatic lock recorded before issue 17, an operator lock, a success and an unlock', () => {
      let standing = CLEAN_LOCKOUT;
      for (const event of [failure('SIGNATURE_INVALID'), failure('CHALLENGE_EXPIRED', EXPIRES_AT)]) standing = evolveLockout(standing, event);
      expect(standing).toEqual({ ...CLEAN_LOCKOUT, consecutiveFailures: 2, lastFailureAt: EXPIRES_AT, lastFailureReason: 'CHALLENGE_EXPIRED' });
      const LOCK_END = '2026-11-21T08:01:59.999Z';
      standing = evolveLockout(standing, legacyLock(3, 1, LOCK_END));
      expect(standing).toMatchObject({ consecutiveFailures: 0, lockNumber: 1, lockedUntil: LOCK_END, lockedIndefinitely: false, lockReason: null });
      const [operator] = lockDevice('meter-1', standing, 'stolen', null, JUST_BEFORE);
      standing = evolveLockout(evolveLockout(standing, failure('SIGNATURE_INVALID')), operator!);
      expect(standing).toMatchObject({ consecutiveFailures: 1, lockNumber: 2, lockedUntil: null, lockedIndefinitely: true, lockReason: 'stolen' });
      expect(evolveLockout(standing, success(JUST_BEFORE))).toBe(standing);
      expect(evolveLockout(standing, success(JUST_BEFORE, true))).toEqual(CLEAN_LOCKOUT);
      expect(evolveLockout(standing, { type: 'DeviceUnlocked', data: { deviceId: 'meter-1', reason: null, unlockedAt: JUST_BEFORE } })).toEqual(CLEAN_LOCKOUT);
    });
  });
});
