import type { ApiKeyScope } from '@m2m-trust/shared-events';

import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';

import { ApiKeyAuthenticator } from './api-key.authenticator';
import { IS_PUBLIC } from './public.decorator';
import { REQUIRED_SCOPE } from './require-scope.decorator';

export interface AuthenticatedRequest extends FastifyRequest {
  actor?: string;
}

/** `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedApiKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? (match[1] as string) : null;
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : null;
}

/**
 * Every route needs an API key holding its @RequireScope() scope unless it is
 * @Public(); a route with neither fails closed. 401 when the key is missing
 * or not valid, 403 INSUFFICIENT_SCOPE when it lacks the scope.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticator.authenticate(presentedApiKey(request), '"Authorization: Bearer <key>" or "X-API-Key: <key>"');
    this.authenticator.authorize(principal, this.reflector.getAllAndOverride<ApiKeyScope | undefined>(REQUIRED_SCOPE, targets) ?? null);
    request.actor = principal.actor;
    return true;
  }
}
