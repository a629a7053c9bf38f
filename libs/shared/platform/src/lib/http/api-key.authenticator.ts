import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { API_KEY_SCOPES, type ApiKeyScope } from '@m2m-trust/shared-events';

import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';

import { ADMIN_API_KEY, type AdminApiKey } from '../config/admin-api-key';
import { ApiKeyVerifier } from './api-key-verifier';

/** Who called, as events record it, and what the caller may do. */
export interface ApiKeyPrincipal {
  /** `api-key:admin` or `api-key:<id>`. */
  readonly actor: string;
  readonly scopes: ReadonlySet<ApiKeyScope>;
  /** The admin key from the environment (M2M_ADMIN_API_KEY or the generated one). */
  readonly admin: boolean;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

const ADMIN: ApiKeyPrincipal = { actor: 'api-key:admin', scopes: new Set(API_KEY_SCOPES), admin: true };

/**
 * The API key rules both transports apply: who a presented key is (401 when
 * nobody), and whether it holds a scope (403 when not). HTTP's guard and the
 * gRPC call adapter only read the key from their own headers.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly adminDigest: Buffer;

  constructor(
    @Inject(ADMIN_API_KEY) adminKey: AdminApiKey,
    @Optional() @Inject(ApiKeyVerifier) private readonly verifier: ApiKeyVerifier | null = null,
  ) {
    this.adminDigest = digest(adminKey.key.reveal());
  }

  /** True when managed keys are checked here, not only the admin key. */
  get managesKeys(): boolean {
    return this.verifier !== null;
  }

  async authenticate(presented: string | null, howToSend: string): Promise<ApiKeyPrincipal> {
    if (presented === null) throw unauthorized(howToSend);
    // Compare digests in constant time: neither length nor prefix leaks.
    if (timingSafeEqual(digest(presented), this.adminDigest)) return ADMIN;
    const verified = this.verifier ? await this.verifier.verify(presented) : null;
    if (!verified) throw unauthorized(howToSend);
    return { actor: `api-key:${verified.id}`, scopes: new Set(verified.scopes), admin: false };
  }

  /** Refuses a principal without the scope; `null` is a route that declares none, which nobody may call. */
  authorize(principal: ApiKeyPrincipal, scope: ApiKeyScope | null): void {
    if (scope === null) {
      throw new DomainError(ErrorCode.InsufficientScope, 'This operation declares no required scope, so no API key may call it', [
        { path: 'scope', message: 'none declared' },
      ]);
    }
    if (!principal.scopes.has(scope)) {
      throw new DomainError(ErrorCode.InsufficientScope, `This operation requires the "${scope}" scope, which the API key does not hold`, [
        { path: 'scope', message: scope },
      ]);
    }
  }

  /** Only the admin key from the environment: for internal calls between services. */
  authorizeAdmin(principal: ApiKeyPrincipal): void {
    if (!principal.admin) throw new DomainError(ErrorCode.InsufficientScope, 'This internal operation accepts only the admin API key');
  }
}

const unauthorized = (howToSend: string): DomainError =>
  new DomainError(ErrorCode.Unauthorized, `Send a valid, unexpired and unrevoked API key as ${howToSend}`);
