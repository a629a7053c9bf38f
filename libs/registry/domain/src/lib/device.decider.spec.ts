import { ErrorCode } from '@m2m-trust/shared-domain';
import { deciderSpec } from '@m2m-trust/shared-domain/testing';
import type { DeviceRegistered, DeviceRevoked } from '@m2m-trust/shared-events';

import { deviceDecider } from './device.decider';

// RFC 8032 test 1 public key, and its RFC 7638 thumbprint.
const KEY_HEX = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const KEY_B64URL = Buffer.from(KEY_HEX, 'hex').toString('base64url');
const NOW = '2026-11-21T08:00:00.000Z';
const LATER = '2026-11-21T09:00:00.000Z';

const registered: DeviceRegistered = {
  type: 'DeviceRegistered',
  data: {
    deviceId: 'scanner-floor-3',
    publicKey: KEY_HEX,
    keyThumbprint: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    label: 'Factory Floor Scanner #3',
    metadata: { line: 3 },
    registeredAt: NOW,
  },
};
const revoked: DeviceRevoked = { type: 'DeviceRevoked', data: { deviceId: 'scanner-floor-3', reason: 'lost', revokedAt: LATER } };

const spec = deciderSpec(deviceDecider);
const register = (publicKey: string) => ({
  type: 'RegisterDevice' as const,
  data: { deviceId: 'scanner-floor-3', publicKey, label: 'Factory Floor Scanner #3', metadata: { line: 3 }, now: NOW },
});
const revoke = { type: 'RevokeDevice' as const, data: { deviceId: 'scanner-floor-3', reason: 'lost', now: LATER } };

describe('device decider', () => {
  describe('RegisterDevice', () => {
    it('registers a new device with its key in lowercase hex and its thumbprint', () => {
      spec.given([]).when(register(KEY_HEX.toUpperCase())).then([registered]);
    });

    it('accepts the key as base64url and answers in hex', () => {
      spec.given([]).when(register(KEY_B64URL)).then([registered]);
    });

    it('refuses a second registration of the same device', () => {
      spec.given([registered]).when(register(KEY_HEX)).thenFails(ErrorCode.DeviceExists);
    });

    it('refuses re-registering a revoked device id', () => {
      spec.given([registered, revoked]).when(register(KEY_HEX)).thenFails(ErrorCode.DeviceExists);
    });

    it('refuses a malformed key as a validation error', () => {
      spec.given([]).when(register('abc')).thenFails(ErrorCode.ValidationFailed);
    });

    it('refuses the identity point (small order)', () => {
      spec.given([]).when(register(`01${'00'.repeat(31)}`)).thenFails(ErrorCode.InvalidPublicKey);
    });

    it('refuses a key with a small-order component (a valid key plus the order-8 point, docs/protocol.md)', () => {
      spec.given([]).when(register('9158312a9a8d6e3b34c891d6d61444f8b8211c5117ebad15bdb0bd68b07e0245')).thenFails(ErrorCode.InvalidPublicKey);
    });

    it('refuses an encoding that is not on the curve', () => {
      // y = 2 has no x on Ed25519.
      spec.given([]).when(register(`02${'00'.repeat(31)}`)).thenFails(ErrorCode.InvalidPublicKey);
    });

    it.each(['NUL \u0000', 'escape \u001b[2J', 'lone \ud800 surrogate', 'noncharacter \u{10ffff}'])('refuses a label that is not plain text: %j', (label) => {
      spec.given([]).when({ ...register(KEY_HEX), data: { ...register(KEY_HEX).data, label } }).thenFails(ErrorCode.ValidationFailed);
    });
  });

  describe('RevokeDevice', () => {
    it('revokes an active device', () => {
      spec.given([registered]).when(revoke).then([revoked]);
    });

    it('records nothing when the device is already revoked', () => {
      spec.given([registered, revoked]).when(revoke).then([]);
    });

    it('refuses an unknown device', () => {
      spec.given([]).when(revoke).thenFails(ErrorCode.DeviceNotFound);
    });

    it.each(['line\nbreak', 'C1 \u0085', 'lone \udc00'])('refuses a reason that is not plain text: %j', (reason) => {
      spec.given([registered]).when({ ...revoke, data: { ...revoke.data, reason } }).thenFails(ErrorCode.ValidationFailed);
    });
  });
});
