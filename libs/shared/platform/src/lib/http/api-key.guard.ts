import { createHash, timingSafeEqual } from 'node:crypto';

import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';

import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { ADMIN_API_KEY, type AdminApiKey } from '../config/admin-api-key';
import { IS_PUBLIC } from './public.decorator';

export interface AuthenticatedRequest extends FastifyRequest {
  actor?: string;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

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

/** Every route needs the API key unless it is marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly adminDigest: Buffer;

  constructor(
    private readonly reflector: Reflector,
    @Inject(ADMIN_API_KEY) adminKey: AdminApiKey,
  ) {
    this.adminDigest = digest(adminKey.key.reveal());
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const presented = presentedApiKey(request);
    // Compare digests in constant time: neither length nor prefix leaks.
    if (presented === null || !timingSafeEqual(digest(presented), this.adminDigest)) {
      throw new DomainError(ErrorCode.Unauthorized, 'Send the API key as "Authorization: Bearer <key>" or "X-API-Key: <key>"');
    }
    request.actor = 'api-key:admin';
    return true;
  }
}
