import { ErrorCode } from '@m2m-trust/shared-domain';
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
    policy: { threshold: 2, seconds: 30, maxSeconds: 300 },
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
const failure = (reason: DeviceAuthenticationFailed['data']['reason'], jti: string | null = 'jti-1'): DeviceAuthenticationFailed => ({
  type: 'DeviceAuthenticationFailed',
  data: {
    challengeId: null,
    deviceId: 'meter-1',
    keyThumbprint: 'thumb',
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
  it('refuses a revoked device and a locked one, before looking at the assertion', () => {
    spec.given([]).when(present('valid', { device: { status: 'revoked', keyThumbprint: 'thumb' } })).then([failure('DEVICE_REVOKED')]);
    const locked: LockoutStanding = { consecutiveFailures: 0, lockNumber: 1, lockedUntil: '2026-11-21T08:00:10.000Z' };
    spec.given([]).when(present('valid', { lockout: locked })).then([failure('DEVICE_LOCKED')]);
  });
  it('counts towards the lockout like any failed authentication', () => {
    const one: LockoutStanding = { consecutiveFailures: 1, lockNumber: 0, lockedUntil: null };
    spec
      .given([])
      .when(present('SIGNATURE_INVALID', { lockout: one }))
      .then([
        failure('SIGNATURE_INVALID'),
        { type: 'DeviceLocked', data: { deviceId: 'meter-1', failures: 2, lockNumber: 1, lockedAt: NOW, lockedUntil: '2026-11-21T08:00:30.000Z' } },
      ]);
  });
  it('refuses an unknown device without recording anything', () => {
    spec.given([]).when(present('valid', { device: { status: 'unknown' } })).thenFails(ErrorCode.DeviceNotFound);
  });
});
