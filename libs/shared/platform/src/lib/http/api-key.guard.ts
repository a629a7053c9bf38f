import { ErrorCode, isDomainError } from '@m2m-trust/shared-domain';
import type { ApiKeyScope } from '@m2m-trust/shared-events';

import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { ApiKeyAuthenticator } from './api-key.authenticator';
import { IS_PUBLIC } from './public.decorator';
import { REQUIRED_SCOPE } from './require-scope.decorator';

export interface AuthenticatedRequest extends FastifyRequest {
  actor?: string;
}

/**
 * The challenges of an operator route's 401 (RFC 9110 section 11.6.1): the project's `ApiKey` scheme (the key in
 * the X-API-Key header, docs/api-keys.md) and RFC 6750 `Bearer` (the same key as a bearer token).
 */
export const API_KEY_CHALLENGE = 'ApiKey realm="m2m-trust", header="X-API-Key"';

/** What a 401 or 403 of an operator route says in WWW-Authenticate; RFC 6750 section 3.1's error when a bearer key was sent. */
export function apiKeyChallenge(request: FastifyRequest, error: 'invalid_token' | 'insufficient_scope' | null, scope?: string): string {
  const bearer = /^Bearer\s/i.test(request.headers.authorization ?? '');
  if (!bearer || error === null) return `${API_KEY_CHALLENGE}, Bearer realm="m2m-trust"`;
  return `${API_KEY_CHALLENGE}, Bearer realm="m2m-trust", error="${error}"${scope ? `, scope="${scope}"` : ''}`;
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
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(REQUIRED_SCOPE, targets) ?? null;
    try {
      const principal = await this.authenticator.authenticate(presentedApiKey(request), '"Authorization: Bearer <key>" or "X-API-Key: <key>"');
      this.authenticator.authorize(principal, scope);
      request.actor = principal.actor;
      return true;
    } catch (error) {
      if (isDomainError(error) && error.code === ErrorCode.Unauthorized) {
        const sent = presentedApiKey(request) !== null;
        void http.getResponse<FastifyReply>().header('www-authenticate', apiKeyChallenge(request, sent ? 'invalid_token' : null));
      } else if (isDomainError(error) && error.code === ErrorCode.InsufficientScope && /^Bearer\s/i.test(request.headers.authorization ?? '')) {
        // RFC 6750 section 3.1: a bearer credential without the scope is told which one it lacks.
        void http.getResponse<FastifyReply>().header('www-authenticate', apiKeyChallenge(request, 'insufficient_scope', scope ?? undefined));
      }
      throw error;
    }
  }
}
