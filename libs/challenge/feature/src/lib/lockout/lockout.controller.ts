import type { EventMetadata } from '@m2m-trust/shared-events';
import { EventMeta, RequireScope, SchemaPipe } from '@m2m-trust/shared-platform';

import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';

import {
  type LockDeviceBody,
  LockDeviceBodySchema,
  type LockoutParams,
  LockoutParamsSchema,
  type LockoutResponse,
  LockoutResponseSchema,
  type UnlockDeviceBody,
  UnlockDeviceBodySchema,
} from './lockout.dto';
import { LockoutService } from './lockout.service';

@ApiTags('Devices')
@ApiSecurity('apiKey')
@ApiSecurity('bearer')
@Controller('v1/devices')
export class LockoutController {
  constructor(private readonly lockouts: LockoutService) {}

  @Get(':deviceId/lockout')
  @RequireScope('devices:read')
  @ApiOperation({ summary: "A device's failed-authentication record and any operator lock (docs/abuse-limits.md)" })
  @ApiOkResponse({ schema: LockoutResponseSchema })
  @ApiNotFoundResponse({ description: 'DEVICE_NOT_FOUND' })
  get(@Param(new SchemaPipe(LockoutParamsSchema)) params: LockoutParams): Promise<LockoutResponse> {
    return this.lockouts.get(params.deviceId);
  }

  @Post(':deviceId/lock')
  @RequireScope('devices:write')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Lock a device by hand, until a time or until unlocked; audited',
    description:
      "While locked the device gets decoy challenges, and its verifies and client assertions fail with DEVICE_LOCKED (told only to a signature valid under the device's key). A new lock replaces the one in force.",
  })
  @ApiBody({ schema: LockDeviceBodySchema })
  @ApiNotFoundResponse({ description: 'DEVICE_NOT_FOUND' })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: no reason, or until not in the future' })
  @ApiOkResponse({ schema: LockoutResponseSchema })
  lock(
    @Param(new SchemaPipe(LockoutParamsSchema)) params: LockoutParams,
    @Body(new SchemaPipe(LockDeviceBodySchema)) body: LockDeviceBody,
    @EventMeta() meta: EventMetadata,
  ): Promise<LockoutResponse> {
    return this.lockouts.lock(params.deviceId, body.reason, body.until ?? null, meta);
  }

  @Post(':deviceId/unlock')
  @RequireScope('devices:write')
  @HttpCode(200)
  @ApiOperation({ summary: "Lift a device's lock and clear its failures; audited. Idempotent." })
  @ApiBody({ schema: UnlockDeviceBodySchema, required: false })
  @ApiNotFoundResponse({ description: 'DEVICE_NOT_FOUND' })
  @ApiOkResponse({ schema: LockoutResponseSchema })
  unlock(
    @Param(new SchemaPipe(LockoutParamsSchema)) params: LockoutParams,
    @Body(new SchemaPipe(UnlockDeviceBodySchema)) body: UnlockDeviceBody,
    @EventMeta() meta: EventMetadata,
  ): Promise<LockoutResponse> {
    return this.lockouts.unlock(params.deviceId, body.reason ?? null, meta);
  }
}
