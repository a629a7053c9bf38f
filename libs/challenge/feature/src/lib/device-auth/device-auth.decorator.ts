import { Public } from '@m2m-trust/shared-platform';

import { applyDecorators, createParamDecorator, type ExecutionContext, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';

import type { AuthenticatedDevice, DeviceRequest } from './authenticated-device';
import { DeviceAuthGuard } from './device-auth.guard';
import { KeepRawBody } from './raw-body.capture';

/**
 * A route devices call with their own credentials (docs/http-signatures.md):
 * exempt from the operator's API key, guarded by DeviceAuthGuard, with the
 * body's bytes kept for Content-Digest. The module must provide
 * DeviceAuthGuard's dependencies (ChallengeModule exports them).
 */
export const DeviceAuth = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    Public(),
    KeepRawBody(),
    UseGuards(DeviceAuthGuard),
    ApiSecurity('accessToken'),
    ApiSecurity('httpSignature'),
    ApiUnauthorizedResponse({ description: 'Neither a valid RFC 9421 signature nor a valid access token (WWW-Authenticate names both)' }),
  );

/** The device DeviceAuthGuard authenticated; a route without @DeviceAuth() has none, which is a wiring bug. */
export const CurrentDevice = createParamDecorator((_: unknown, context: ExecutionContext): AuthenticatedDevice => {
  const device = context.switchToHttp().getRequest<DeviceRequest>().device;
  if (!device) throw new Error('@CurrentDevice() on a route without @DeviceAuth()');
  return device;
});
