import { ErrorCode } from '@m2m-trust/shared-domain';
import { deciderSpec } from '@m2m-trust/shared-domain/testing';
import type { ChallengeIssued, DeviceAuthenticated, DeviceAuthenticationFailed } from '@m2m-trust/shared-events';

import type { DeviceStanding, VerifyChallenge } from './challenge.commands';
import { challengeDecider } from './challenge.decider';

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
const success = (at: string): DeviceAuthenticated => ({
  type: 'DeviceAuthenticated',
  data: { challengeId: 'c1', deviceId: 'meter-1', keyThumbprint: 'thumb', method: 'challenge-response', verifiedAt: at },
});
const failure = (reason: DeviceAuthenticationFailed['data']['reason'], at = JUST_BEFORE): DeviceAuthenticationFailed => ({
  type: 'DeviceAuthenticationFailed',
  data: { challengeId: 'c1', deviceId: 'meter-1', keyThumbprint: 'thumb', method: 'challenge-response', reason, failedAt: at },
});

const spec = deciderSpec(challengeDecider);
const verify = (now: string, device: DeviceStanding, signature: 'valid' | 'invalid' | 'non_canonical'): VerifyChallenge => ({
  type: 'VerifyChallenge',
  data: {
    now,
    device,
    checkSignature: (nonce) => {
      // The decider must check the signature over the nonce it issued, nothing else.
      expect(nonce).toBe(issued.data.nonce);
      return signature;
    },
  },
});
const issue = (device: DeviceStanding) => ({
  type: 'IssueChallenge' as const,
  data: { challengeId: 'c1', deviceId: 'meter-1', audience: 'https://auth.example.com', random: RANDOM, now: ISSUED_AT, ttlSeconds: 60, device },
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
});
