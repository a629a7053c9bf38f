import { checkPublicKey, jwkThumbprint, toHex } from '@m2m-trust/shared-crypto';
import { assertUnreachable, type Decider, DomainError, ErrorCode, requirePlainText } from '@m2m-trust/shared-domain';
import type { DeviceEvent, DeviceRegistered, DeviceRevoked } from '@m2m-trust/shared-events';

import type { DeviceCommand, RegisterDevice, RevokeDevice } from './device.commands';
import { PUBLIC_KEY_FORMAT_HINT } from './public-key-format';

export type DeviceState =
  | { readonly status: 'unregistered' }
  | { readonly status: 'active'; readonly deviceId: string; readonly publicKey: string }
  | { readonly status: 'revoked'; readonly deviceId: string; readonly publicKey: string };

const initialState: DeviceState = { status: 'unregistered' };

function evolve(state: DeviceState, event: DeviceEvent): DeviceState {
  switch (event.type) {
    case 'DeviceRegistered':
      return { status: 'active', deviceId: event.data.deviceId, publicKey: event.data.publicKey };
    case 'DeviceRevoked':
      return state.status === 'unregistered' ? state : { ...state, status: 'revoked' };
    default:
      return assertUnreachable(event);
  }
}

const KEY_PROBLEMS = {
  malformed: `publicKey is not 32 bytes as 64 hex or 43 base64url characters: ${PUBLIC_KEY_FORMAT_HINT}`,
  not_a_point: `publicKey is not the canonical encoding of a point on Ed25519: ${PUBLIC_KEY_FORMAT_HINT}`,
  small_order: 'publicKey is a point of small order, which any signature could match',
  mixed_order: 'publicKey has a small-order component (it is not in the prime-order subgroup: [L]A is not the identity)',
} as const;

function register(command: RegisterDevice, state: DeviceState): DeviceRegistered[] {
  if (state.status !== 'unregistered') {
    throw new DomainError(ErrorCode.DeviceExists, `Device ${command.data.deviceId} is already registered`);
  }
  const checked = checkPublicKey(command.data.publicKey);
  if (!checked.ok) {
    const code = checked.problem === 'malformed' ? ErrorCode.ValidationFailed : ErrorCode.InvalidPublicKey;
    throw new DomainError(code, KEY_PROBLEMS[checked.problem], [{ path: '/publicKey', message: KEY_PROBLEMS[checked.problem] }]);
  }
  requirePlainText('/label', command.data.label);
  return [
    {
      type: 'DeviceRegistered',
      data: {
        deviceId: command.data.deviceId,
        publicKey: toHex(checked.key),
        keyThumbprint: jwkThumbprint(checked.key),
        label: command.data.label,
        metadata: command.data.metadata,
        registeredAt: command.data.now,
      },
    },
  ];
}

function revoke(command: RevokeDevice, state: DeviceState): DeviceRevoked[] {
  switch (state.status) {
    case 'unregistered':
      throw new DomainError(ErrorCode.DeviceNotFound, `Device ${command.data.deviceId} is not registered`);
    case 'revoked':
      // Revoking twice is answered like the first time and records nothing.
      return [];
    case 'active':
      requirePlainText('/reason', command.data.reason);
      return [{ type: 'DeviceRevoked', data: { deviceId: command.data.deviceId, reason: command.data.reason, revokedAt: command.data.now } }];
    default:
      return assertUnreachable(state);
  }
}

function decide(command: DeviceCommand, state: DeviceState): DeviceEvent[] {
  switch (command.type) {
    case 'RegisterDevice':
      return register(command, state);
    case 'RevokeDevice':
      return revoke(command, state);
    default:
      return assertUnreachable(command);
  }
}

export const deviceDecider: Decider<DeviceCommand, DeviceEvent, DeviceState> = { initialState, evolve, decide };
