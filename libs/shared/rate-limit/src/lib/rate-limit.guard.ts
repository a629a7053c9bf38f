import type { AuthenticatedRequest } from '@m2m-trust/shared-platform';

import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';

import { clientAddressKey } from './client-address';
import { RATE_LIMITED_BY_ADDRESS } from './rate-limited-by-address.decorator';
import { RateLimits,type RateLimitState } from './rate-limits';

/**
 * The draft's RateLimit-* fields (draft-ietf-httpapi-ratelimit-headers, the
 * names the problem filter answers a 429 with) on an admitted request too, so
 * clients can slow down before they are refused.
 */
function setRateLimitHeaders(reply: FastifyReply, state: RateLimitState): void {
  void reply.header('ratelimit-limit', String(state.limit));
  void reply.header('ratelimit-remaining', String(state.remaining));
  void reply.header('ratelimit-reset', String(state.resetSeconds));
  void reply.header('ratelimit-policy', `${state.limit};w=${state.windowSeconds}`);
}

/**
 * HTTP's edge limits: a route marked @RateLimitedByAddress() counts against the
 * client address (Fastify's request.ip, see M2M_TRUST_PROXY); any other route
 * a caller was authenticated for counts against its API key (request.actor,
 * never the secret). A global guard registered after the platform's API key
 * guard (RateLimitModule is imported after PlatformModule), so a request that
 * guard refused is not counted against a key it did not prove; the per-key
 * 429 of e2e/rate-limits.e2e-spec.ts fails if that order ever changes. A
 * guard rather than an interceptor: the first global interceptor puts every
 * request through Nest's RxJS interceptor chain, about 9 % of the server's CPU
 * under authentication load (docs/benchmarks.md).
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const byAddress = this.reflector.getAllAndOverride<boolean>(RATE_LIMITED_BY_ADDRESS, [context.getHandler(), context.getClass()]);
    const state = byAddress
      ? await this.limits.take('address', clientAddressKey(request.ip))
      : request.actor
        ? await this.limits.take('apiKey', request.actor)
        : null;
    if (state) setRateLimitHeaders(http.getResponse<FastifyReply>(), state);
    return true;
  }
}
