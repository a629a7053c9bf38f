import { DEVICE_READ_REPOSITORY, type DeviceReadRepository } from '@m2m-trust/registry-data-access';
import { deviceDecider,type DeviceView } from '@m2m-trust/registry-domain';
import { CLOCK, type Clock, decideAndAppend, EVENT_STORE, type EventStore } from '@m2m-trust/shared-contracts';
import { checkPublicKey, toHex } from '@m2m-trust/shared-crypto';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { type DeviceStatus, deviceStreamId, type EventMetadata } from '@m2m-trust/shared-events';

import { Inject, Injectable } from '@nestjs/common';

import { DeviceDirectory, type DeviceListPage, type RegisterDeviceInput } from './device-directory';

const MAX_METADATA_BYTES = 4096;

/** Registry commands and queries. Thin: the rules live in the device decider. */
@Injectable()
export class DeviceService extends DeviceDirectory {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DEVICE_READ_REPOSITORY) private readonly devices: DeviceReadRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  async register(input: RegisterDeviceInput, metadata: EventMetadata): Promise<DeviceView> {
    const deviceMetadata = input.metadata ?? {};
    if (JSON.stringify(deviceMetadata).length > MAX_METADATA_BYTES) {
      throw new DomainError(ErrorCode.ValidationFailed, `metadata must serialise to at most ${MAX_METADATA_BYTES} bytes`, [
        { path: '/metadata', message: 'too large' },
      ]);
    }
    // A friendly early answer; the projection's unique index is what holds under races.
    const key = checkPublicKey(input.publicKey);
    if (key.ok) {
      const owner = await this.devices.findByPublicKey(toHex(key.key));
      if (owner && owner.deviceId !== input.deviceId) {
        throw new DomainError(ErrorCode.DuplicatePublicKey, 'This public key is already registered to another device');
      }
    }
    await decideAndAppend(
      this.store,
      deviceStreamId(input.deviceId),
      deviceDecider,
      {
        type: 'RegisterDevice',
        data: {
          deviceId: input.deviceId,
          publicKey: input.publicKey,
          label: input.label ?? '',
          metadata: deviceMetadata,
          now: this.clock.now().toISOString(),
        },
      },
      metadata,
    );
    return this.get(input.deviceId);
  }

  async revoke(deviceId: string, reason: string | null, metadata: EventMetadata): Promise<DeviceView> {
    await decideAndAppend(
      this.store,
      deviceStreamId(deviceId),
      deviceDecider,
      { type: 'RevokeDevice', data: { deviceId, reason, now: this.clock.now().toISOString() } },
      metadata,
    );
    return this.get(deviceId);
  }

  async get(deviceId: string): Promise<DeviceView> {
    const device = await this.devices.get(deviceId);
    if (!device) throw new DomainError(ErrorCode.DeviceNotFound, `Device ${deviceId} is not registered`);
    return device;
  }

  async list(filter: { status?: DeviceStatus; limit: number; cursor?: string }): Promise<DeviceListPage> {
    const page = await this.devices.list({
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.cursor ? { after: decodeCursor(filter.cursor) } : {}),
      limit: filter.limit,
    });
    return { items: page.items, nextCursor: page.nextAfter === null ? null : encodeCursor(page.nextAfter) };
  }
}

// The cursor is the registration position of the last device shown: stable while devices are added or revoked.
const encodeCursor = (after: number): string => Buffer.from(`d:${after}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const match = /^d:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new DomainError(ErrorCode.ValidationFailed, 'cursor is not one this service issued', [{ path: 'cursor', message: 'invalid' }]);
  return Number(match[1]);
}
