import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';

import type { AuthenticatedRequest } from '@m2m-trust/shared-platform';

import { clientAddressKey } from './client-address';
import { RATE_LIMITED_BY_ADDRESS } from './rate-limited-by-address.decorator';
import { type RateLimitState, RateLimits } from './rate-limits';

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
 * never the secret). An interceptor runs after every guard, so a request the
 * API key guard refused is not counted against a key it did not prove.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimits,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const byAddress = this.reflector.getAllAndOverride<boolean>(RATE_LIMITED_BY_ADDRESS, [context.getHandler(), context.getClass()]);
    const state = byAddress
      ? await this.limits.take('address', clientAddressKey(request.ip))
      : request.actor
        ? await this.limits.take('apiKey', request.actor)
        : null;
    if (state) setRateLimitHeaders(http.getResponse<FastifyReply>(), state);
    return next.handle();
  }
}
