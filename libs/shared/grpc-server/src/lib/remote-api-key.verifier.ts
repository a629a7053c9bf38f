import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { ADMIN_API_KEY, type AdminApiKey, ApiKeyVerifier, APP_CONFIG, type AppConfig, requireDistributed, type VerifiedApiKey } from '@m2m-trust/shared-platform';

import { createHash } from 'node:crypto';
import { type Client, credentials, makeGenericClientConstructor, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { Global, Inject, Injectable, Module, type OnModuleDestroy } from '@nestjs/common';

import { API_KEY_VERIFICATION_SERVICE, type VerifyApiKeyResponse } from './api-key-verification.grpc';

/**
 * How long a positive answer is reused. This bounds how long a revoked (or
 * just expired) key still works on a process other than the registry service
 * (docs/api-keys.md); negative answers are never reused, so a new key works
 * at once everywhere.
 */
export const API_KEY_CACHE_TTL_MS = 1_000;
const CACHE_MAX_ENTRIES = 10_000;
const CALL_DEADLINE_MS = 5_000;

type VerifyMethod = (
  request: { key: string },
  metadata: Metadata,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response?: VerifyApiKeyResponse) => void,
) => unknown;

/**
 * The key check of every distributed process but the registry service: asks
 * the registry (m2m.internal.v1.ApiKeyVerification) with the admin key, which
 * the registry compares in constant time against the stored hash. The cache
 * is keyed by a SHA-256 of the presented key, so the key itself is held only
 * for the call.
 */
@Injectable()
export class RemoteApiKeyVerifier extends ApiKeyVerifier implements OnModuleDestroy {
  private readonly client: Client;
  private readonly adminKey: string;
  private readonly cache = new Map<string, { readonly verified: VerifiedApiKey; readonly until: number }>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(ADMIN_API_KEY) adminKey: AdminApiKey,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
    const { registryGrpcUrl } = requireDistributed(config, ['registryGrpcUrl']);
    const Verification = makeGenericClientConstructor(API_KEY_VERIFICATION_SERVICE, 'ApiKeyVerification');
    this.client = new Verification(registryGrpcUrl, credentials.createInsecure());
    this.adminKey = adminKey.key.reveal();
  }

  onModuleDestroy(): void {
    this.client.close();
  }

  async verify(presentedKey: string): Promise<VerifiedApiKey | null> {
    const cacheKey = createHash('sha256').update(presentedKey, 'utf8').digest('base64');
    const now = this.clock.now().getTime();
    const cached = this.cache.get(cacheKey);
    if (cached && cached.until > now) return cached.verified;
    this.cache.delete(cacheKey);
    const { verified } = await this.ask(presentedKey);
    if (verified) this.remember(cacheKey, verified, now + API_KEY_CACHE_TTL_MS);
    return verified;
  }

  private remember(cacheKey: string, verified: VerifiedApiKey, until: number): void {
    // Map keeps insertion order: the first entry is the oldest.
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(cacheKey, { verified, until });
  }

  private ask(key: string): Promise<VerifyApiKeyResponse> {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${this.adminKey}`);
    const verify = (this.client as unknown as Record<string, VerifyMethod>)['VerifyApiKey'] as VerifyMethod;
    return new Promise((resolve, reject) => {
      verify.call(this.client, { key }, metadata, { deadline: new Date(Date.now() + CALL_DEADLINE_MS) }, (error, response) => {
        if (!error) return resolve(response ?? { verified: null });
        if (error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED || error.code === status.CANCELLED) {
          return reject(new DomainError(ErrorCode.ServiceUnavailable, 'The registry service, which checks API keys, is unavailable; retry shortly'));
        }
        // The registry refused the admin key or failed: a deployment fault, not the caller's; its details stay in the logs.
        reject(new Error(`The registry service refused to check an API key (${status[error.code] ?? error.code}): ${error.details}`));
      });
    });
  }
}

/**
 * Provides ApiKeyVerifier to the platform's key check (HTTP guard and gRPC
 * adapter) of a distributed gateway, challenge or audit service. Needs
 * M2M_REGISTRY_GRPC_URL.
 */
@Global()
@Module({
  providers: [RemoteApiKeyVerifier, { provide: ApiKeyVerifier, useExisting: RemoteApiKeyVerifier }],
  exports: [ApiKeyVerifier],
})
export class RemoteApiKeyVerifierModule {}
