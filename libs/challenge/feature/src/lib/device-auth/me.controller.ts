import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import type { AuthenticatedDevice } from './authenticated-device';
import { CurrentDevice, DeviceAuth } from './device-auth.decorator';
import { type MeResponse, MeResponseSchema } from './me.dto';

/** The device's view of itself: the smallest route that proves a device credential works. */
@ApiTags('Authentication')
@Controller('v1/me')
export class MeController {
  @Get()
  @DeviceAuth()
  @ApiOperation({ summary: 'The authenticated device, and how it authenticated (HTTP signature or access token)' })
  @ApiOkResponse({ schema: MeResponseSchema })
  me(@CurrentDevice() device: AuthenticatedDevice): MeResponse {
    return { deviceId: device.deviceId, keyThumbprint: device.keyThumbprint, status: 'active', authentication: device.authentication.method === 'bearer' ? device.authentication : { ...device.authentication, components: [...device.authentication.components] } };
  }
}
