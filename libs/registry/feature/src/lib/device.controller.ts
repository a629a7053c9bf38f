import type { DeviceView } from '@m2m-trust/registry-domain';
import type { EventMetadata } from '@m2m-trust/shared-events';
import { EventMeta, RequireScope, SchemaPipe } from '@m2m-trust/shared-platform';

import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import {
  type DeviceIdParams,
  DeviceIdParamsSchema,
  type DeviceListResponse,
  DeviceListResponseSchema,
  type DeviceResponse,
  DeviceResponseSchema,
  type ListDevicesQuery,
  ListDevicesQuerySchema,
  type RegisterDeviceBody,
  RegisterDeviceBodySchema,
  type RevokeDeviceBody,
  RevokeDeviceBodySchema,
} from './device.dto';
import { DeviceDirectory } from './device-directory';

export function toDeviceResponse(view: DeviceView): DeviceResponse {
  return {
    deviceId: view.deviceId,
    publicKey: view.publicKey,
    keyThumbprint: view.keyThumbprint,
    label: view.label,
    metadata: { ...view.metadata },
    status: view.status,
    createdAt: view.createdAt,
    ...(view.revokedAt ? { revokedAt: view.revokedAt } : {}),
    ...(view.revocationReason ? { revocationReason: view.revocationReason } : {}),
  };
}

@ApiTags('Devices')
@Controller('v1/devices')
export class DeviceController {
  constructor(private readonly devices: DeviceDirectory) {}

  @Post()
  @RequireScope('devices:write')
  @ApiOperation({ summary: 'Register a device with its Ed25519 public key' })
  @ApiBody({ schema: RegisterDeviceBodySchema })
  @ApiCreatedResponse({ schema: DeviceResponseSchema })
  @ApiConflictResponse({ description: 'DEVICE_EXISTS, DUPLICATE_PUBLIC_KEY' })
  async register(
    @Body(new SchemaPipe(RegisterDeviceBodySchema)) body: RegisterDeviceBody,
    @EventMeta() meta: EventMetadata,
  ): Promise<DeviceResponse> {
    return toDeviceResponse(await this.devices.register(body, meta));
  }

  @Get()
  @RequireScope('devices:read')
  @ApiOperation({ summary: 'List devices in registration order, a page at a time' })
  @ApiOkResponse({ schema: DeviceListResponseSchema })
  async list(@Query(new SchemaPipe(ListDevicesQuerySchema)) query: ListDevicesQuery): Promise<DeviceListResponse> {
    const page = await this.devices.list({
      ...(query.status ? { status: query.status } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
      limit: query.limit ? Number(query.limit) : 50,
    });
    return { items: page.items.map(toDeviceResponse), nextCursor: page.nextCursor };
  }

  @Get(':deviceId')
  @RequireScope('devices:read')
  @ApiOperation({ summary: 'Get one device' })
  @ApiOkResponse({ schema: DeviceResponseSchema })
  @ApiNotFoundResponse({ description: 'DEVICE_NOT_FOUND' })
  async get(@Param(new SchemaPipe(DeviceIdParamsSchema)) params: DeviceIdParams): Promise<DeviceResponse> {
    return toDeviceResponse(await this.devices.get(params.deviceId));
  }

  @Post(':deviceId/revoke')
  @RequireScope('devices:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a device: no authentication succeeds for it afterwards. Idempotent.' })
  @ApiBody({ schema: RevokeDeviceBodySchema, required: false })
  @ApiNotFoundResponse({ description: 'DEVICE_NOT_FOUND' })
  @ApiOkResponse({ schema: DeviceResponseSchema })
  async revoke(
    @Param(new SchemaPipe(DeviceIdParamsSchema)) params: DeviceIdParams,
    @Body(new SchemaPipe(RevokeDeviceBodySchema)) body: RevokeDeviceBody,
    @EventMeta() meta: EventMetadata,
  ): Promise<DeviceResponse> {
    return toDeviceResponse(await this.devices.revoke(params.deviceId, body.reason ?? null, meta));
  }
}
