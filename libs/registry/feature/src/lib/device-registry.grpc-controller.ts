import type { DeviceView } from '@m2m-trust/registry-domain';
import type { DeviceStatus } from '@m2m-trust/shared-events';
import { SchemaPipe } from '@m2m-trust/shared-platform';
import {
  type Device,
  type DeviceRegistryDefinition,
  type DeviceStatus__Output as GrpcDeviceStatus,
  fromStruct,
  type GetDeviceRequest__Output,
  type GrpcCallContext,
  type GrpcUnaryController,
  type ListDevicesRequest__Output,
  type ListDevicesResponse,
  type RegisterDeviceRequest__Output,
  type RevokeDeviceRequest__Output,
  toStruct,
} from '@m2m-trust/shared-proto';

import { type ArgumentMetadata, Injectable } from '@nestjs/common';

import { toDeviceResponse } from './device.controller';
import {
  type DeviceIdParams,
  DeviceIdParamsSchema,
  type ListDevicesQuery,
  ListDevicesQuerySchema,
  type RegisterDeviceBody,
  RegisterDeviceBodySchema,
  type RevokeDeviceBody,
  RevokeDeviceBodySchema,
} from './device.dto';
import { DeviceDirectory } from './device-directory';

/** A request message is validated as HTTP validates a body: unknown fields refused, the same messages. */
const MESSAGE: ArgumentMetadata = { type: 'body' };

/** As GET /v1/devices answers without `limit`. */
const DEFAULT_PAGE_SIZE = 50;

const TO_GRPC_STATUS = { active: 'DEVICE_STATUS_ACTIVE', revoked: 'DEVICE_STATUS_REVOKED' } as const satisfies Record<DeviceStatus, GrpcDeviceStatus>;
const FROM_GRPC_STATUS: Readonly<Record<string, DeviceStatus>> = { DEVICE_STATUS_ACTIVE: 'active', DEVICE_STATUS_REVOKED: 'revoked' };

/** The HTTP answer, field for field, in its message form: one mapping from the domain view for both transports. */
export function toGrpcDevice(view: DeviceView): Device {
  const device = toDeviceResponse(view);
  return {
    deviceId: device.deviceId,
    publicKey: device.publicKey,
    keyThumbprint: device.keyThumbprint,
    label: device.label,
    metadata: toStruct(device.metadata),
    status: TO_GRPC_STATUS[device.status],
    createdAt: device.createdAt,
    ...(device.revokedAt !== undefined ? { revokedAt: device.revokedAt } : {}),
    ...(device.revocationReason !== undefined ? { revocationReason: device.revocationReason } : {}),
  };
}

/**
 * m2m.v1.DeviceRegistry: each message is rebuilt as the HTTP body, query or
 * path it stands for and validated by the same schema, then handed to the
 * same DeviceService, so both transports answer and audit alike.
 */
@Injectable()
export class DeviceRegistryGrpcController implements GrpcUnaryController<DeviceRegistryDefinition> {
  private readonly registerBody = new SchemaPipe<RegisterDeviceBody>(RegisterDeviceBodySchema);
  private readonly deviceIdParams = new SchemaPipe<DeviceIdParams>(DeviceIdParamsSchema);
  private readonly listQuery = new SchemaPipe<ListDevicesQuery>(ListDevicesQuerySchema);
  private readonly revokeBody = new SchemaPipe<RevokeDeviceBody>(RevokeDeviceBodySchema);

  constructor(private readonly devices: DeviceDirectory) {}

  async registerDevice(request: RegisterDeviceRequest__Output, context: GrpcCallContext): Promise<Device> {
    const body = this.registerBody.transform(
      {
        deviceId: request.deviceId,
        publicKey: request.publicKey,
        label: request.label,
        ...(request.metadata ? { metadata: fromStruct(request.metadata) } : {}),
      },
      MESSAGE,
    );
    return toGrpcDevice(await this.devices.register(body, context));
  }

  async getDevice(request: GetDeviceRequest__Output): Promise<Device> {
    const { deviceId } = this.deviceIdParams.transform({ deviceId: request.deviceId }, MESSAGE);
    return toGrpcDevice(await this.devices.get(deviceId));
  }

  async listDevices(request: ListDevicesRequest__Output): Promise<ListDevicesResponse> {
    const query = this.listQuery.transform(
      {
        // An enum number this version does not know stays visible, so the schema refuses it rather than listing everything.
        ...(request.status !== 'DEVICE_STATUS_UNSPECIFIED' ? { status: FROM_GRPC_STATUS[request.status] ?? String(request.status) } : {}),
        ...(request.limit !== 0 ? { limit: String(request.limit) } : {}),
        ...(request.cursor !== '' ? { cursor: request.cursor } : {}),
      },
      MESSAGE,
    );
    const page = await this.devices.list({
      ...(query.status ? { status: query.status } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
      limit: query.limit ? Number(query.limit) : DEFAULT_PAGE_SIZE,
    });
    return { items: page.items.map(toGrpcDevice), nextCursor: page.nextCursor ?? '' };
  }

  async revokeDevice(request: RevokeDeviceRequest__Output, context: GrpcCallContext): Promise<Device> {
    const { deviceId } = this.deviceIdParams.transform({ deviceId: request.deviceId }, MESSAGE);
    const body = this.revokeBody.transform(request.reason !== undefined ? { reason: request.reason } : {}, MESSAGE);
    return toGrpcDevice(await this.devices.revoke(deviceId, body.reason ?? null, context));
  }
}
