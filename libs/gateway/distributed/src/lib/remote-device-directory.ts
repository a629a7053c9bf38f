import type { DeviceView } from '@m2m-trust/registry-domain';
import { DeviceDirectory, type DeviceListPage, type RegisterDeviceInput } from '@m2m-trust/registry-feature';
import type { DeviceStatus, EventMetadata } from '@m2m-trust/shared-events';
import { type Device__Output, fromStruct, type ListDevicesResponse__Output, toStruct } from '@m2m-trust/shared-proto';

import { Injectable } from '@nestjs/common';

import { ServiceClients } from './service-clients';

const FROM_GRPC_STATUS: Readonly<Record<string, DeviceStatus>> = { DEVICE_STATUS_ACTIVE: 'active', DEVICE_STATUS_REVOKED: 'revoked' };
const TO_GRPC_STATUS = { active: 'DEVICE_STATUS_ACTIVE', revoked: 'DEVICE_STATUS_REVOKED' } as const;

/**
 * A gateway's registry: commands and reads go to the registry service over
 * gRPC. A registration or revocation is answered only once the challenge
 * service has it too (docs/distributed.md: consistency).
 */
@Injectable()
export class RemoteDeviceDirectory extends DeviceDirectory {
  constructor(private readonly services: ServiceClients) {
    super();
  }

  async register(input: RegisterDeviceInput, metadata: EventMetadata): Promise<DeviceView> {
    const { registry } = this.services;
    const device = await this.services.call<Device__Output>('registry', registry, 'RegisterDevice', {
      deviceId: input.deviceId,
      publicKey: input.publicKey,
      label: input.label ?? '',
      ...(input.metadata ? { metadata: toStruct(input.metadata) } : {}),
    }, metadata);
    await this.services.awaitDevice(input.deviceId, 'registered', metadata);
    return toDeviceView(device);
  }

  async revoke(deviceId: string, reason: string | null, metadata: EventMetadata): Promise<DeviceView> {
    const { registry } = this.services;
    const device = await this.services.call<Device__Output>('registry', registry, 'RevokeDevice', { deviceId, ...(reason !== null ? { reason } : {}) }, metadata);
    await this.services.awaitDevice(deviceId, 'revoked', metadata);
    return toDeviceView(device);
  }

  async get(deviceId: string): Promise<DeviceView> {
    const { registry } = this.services;
    return toDeviceView(await this.services.call<Device__Output>('registry', registry, 'GetDevice', { deviceId }, {}));
  }

  async list(filter: { status?: DeviceStatus; limit: number; cursor?: string }): Promise<DeviceListPage> {
    const { registry } = this.services;
    const page = await this.services.call<ListDevicesResponse__Output>('registry', registry, 'ListDevices', {
      ...(filter.status ? { status: TO_GRPC_STATUS[filter.status] } : {}),
      limit: filter.limit,
      ...(filter.cursor ? { cursor: filter.cursor } : {}),
    }, {});
    return { items: page.items.map(toDeviceView), nextCursor: page.nextCursor === '' ? null : page.nextCursor };
  }
}

/** The view the transports answer with. Version and position are the registry's bookkeeping and never leave it. */
function toDeviceView(device: Device__Output): DeviceView {
  return {
    deviceId: device.deviceId,
    publicKey: device.publicKey,
    keyThumbprint: device.keyThumbprint,
    label: device.label,
    metadata: device.metadata ? (fromStruct(device.metadata) as Record<string, unknown>) : {},
    status: FROM_GRPC_STATUS[device.status] ?? 'active',
    createdAt: device.createdAt,
    revokedAt: device.revokedAt ?? null,
    revocationReason: device.revocationReason ?? null,
    version: 0,
    registeredPosition: 0,
  };
}
