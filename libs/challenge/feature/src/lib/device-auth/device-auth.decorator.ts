import { Public } from '@m2m-trust/shared-platform';
import { RATE_LIMITED_BY_ADDRESS } from '@m2m-trust/shared-rate-limit';

import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiServiceUnavailableResponse, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

import type { AuthenticatedDevice, DeviceRequest } from './authenticated-device';
import { DeviceAuthGuard } from './device-auth.guard';
import { KeepRawBody } from './raw-body.capture';

/**
 * A route devices call with their own credentials (docs/http-signatures.md):
 * exempt from the operator's API key, guarded by DeviceAuthGuard, with the
 * body's bytes kept for Content-Digest, counted against the client address
 * before the credential is checked and against the device after. The module
 * must provide DeviceAuthGuard's dependencies (ChallengeModule exports them).
 */
export const DeviceAuth = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    Public(),
    KeepRawBody(),
    SetMetadata(RATE_LIMITED_BY_ADDRESS, true),
    UseGuards(DeviceAuthGuard),
    ApiTooManyRequestsResponse({
      description: 'RATE_LIMITED: too many requests from this client address, or by this device once its credential is verified; see Retry-After',
    }),
    ApiServiceUnavailableResponse({
      description:
        'PUBLIC_URL_NOT_CONFIGURED: a signed request reached a server without M2M_PUBLIC_URL; SERVICE_UNAVAILABLE: the replay memory is full (Retry-After)',
    }),
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
