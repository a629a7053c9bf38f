import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';

export const RATE_LIMITED_BY_ADDRESS = 'm2m-trust:rate-limited-by-address';

/**
 * Counts a public authentication route against the client address's budget
 * (M2M_RATE_LIMIT_ADDRESS_PER_MINUTE): challenge, verify, token. Routes that
 * need an API key are counted per key instead, without a decorator.
 */
export const RateLimitedByAddress = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(RATE_LIMITED_BY_ADDRESS, true),
    ApiTooManyRequestsResponse({ description: 'RATE_LIMITED: too many requests from this client address; see Retry-After' }),
  );
