import { deciderSpec } from '@m2m-trust/shared-domain/testing';
import type { DeviceAuthenticated, DeviceAuthenticationFailed } from '@m2m-trust/shared-events';

import type { DeviceStanding } from './challenge.commands';
import { type AssertionCheck, type AuthenticateWithAssertion, clientAssertionDecider } from './client-assertion.decider';
import { CLEAN_LOCKOUT, type LockoutStanding } from './lockout';

const NOW = '2026-11-21T08:00:00.000Z';
const active: DeviceStanding = { status: 'active', keyThumbprint: 'thumb' };
const spec = deciderSpec(clientAssertionDecider);

const present = (check: AssertionCheck, options: { device?: DeviceStanding; lockout?: LockoutStanding; jti?: string | null } = {}): AuthenticateWithAssertion => ({
  type: 'AuthenticateWithAssertion',
  data: {
    deviceId: 'meter-1',
    assertionId: options.jti === undefined ? 'jti-1' : options.jti,
    now: NOW,
    device: options.device ?? active,
    lockout: options.lockout ?? CLEAN_LOCKOUT,
    check,
    tokenId: 'token-1',
  },
});
const success: DeviceAuthenticated = {
  type: 'DeviceAuthenticated',
  data: {
    challengeId: null,
    deviceId: 'meter-1',
    keyThumbprint: 'thumb',
    method: 'private_key_jwt',
    verifiedAt: NOW,
    tokenId: 'token-1',
    assertionId: 'jti-1',
  },
};
const failure = (reason: DeviceAuthenticationFailed['data']['reason'], jti: string | null = 'jti-1', thumbprint: string | null = 'thumb'): DeviceAuthenticationFailed => ({
  type: 'DeviceAuthenticationFailed',
  data: {
    challengeId: null,
    deviceId: 'meter-1',
    keyThumbprint: thumbprint,
    method: 'private_key_jwt',
    reason,
    failedAt: NOW,
    ...(jti !== null ? { assertionId: jti } : {}),
  },
});

describe('client assertion decider', () => {
  it('authenticates a valid assertion once, recording its jti and the token id', () => {
    spec.given([]).when(present('valid')).then([success]);
  });
  it('refuses the same jti after a success (replay)', () => {
    spec.given([success]).when(present('valid')).then([failure('ASSERTION_REUSED')]);
  });
  it('a refused assertion does not spend its jti', () => {
    spec.given([failure('SIGNATURE_INVALID')]).when(present('valid')).then([success]);
  });
  it('refuses what the JWT check found, by reason', () => {
    for (const reason of ['SIGNATURE_INVALID', 'ASSERTION_EXPIRED', 'ASSERTION_INVALID'] as const) {
      spec.given([]).when(present(reason)).then([failure(reason)]);
    }
  });
  it('refuses an assertion without jti', () => {
    spec.given([]).when(present('valid', { jti: null })).then([failure('ASSERTION_INVALID', null)]);
  });
  it("tells a revoked or locked device so only when the assertion is signed with the device's key", () => {
    const revoked: DeviceStanding = { status: 'revoked', keyThumbprint: 'thumb' };
    const locked: LockoutStanding = { ...CLEAN_LOCKOUT, lockNumber: 1, lockedIndefinitely: true, lockReason: 'stolen' };
    spec.given([]).when(present('valid', { device: revoked })).then([failure('DEVICE_REVOKED')]);
    spec.given([]).when(present('valid', { lockout: locked })).then([failure('DEVICE_LOCKED')]);
    spec.given([]).when(present('SIGNATURE_INVALID', { device: revoked })).then([failure('SIGNATURE_INVALID')]);
    spec.given([]).when(present('SIGNATURE_INVALID', { lockout: locked })).then([failure('SIGNATURE_INVALID')]);
  });
  it('never locks, however many failures are on record', () => {
    const many: LockoutStanding = { ...CLEAN_LOCKOUT, consecutiveFailures: 10_000 };
    spec.given([]).when(present('SIGNATURE_INVALID', { lockout: many })).then([failure('SIGNATURE_INVALID')]);
    spec.given([]).when(present('valid', { lockout: many })).then([{ ...success, data: { ...success.data, resetsLockout: true } }]);
  });
  it('records an unknown device as DEVICE_NOT_FOUND (answered as a wrong signature)', () => {
    spec.given([]).when(present('SIGNATURE_INVALID', { device: { status: 'unknown' } })).then([failure('DEVICE_NOT_FOUND', 'jti-1', null)]);
  });
});
