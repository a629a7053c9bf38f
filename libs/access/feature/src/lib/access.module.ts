import { ApiKeyVerifier } from '@m2m-trust/shared-platform';

import { Global, Module } from '@nestjs/common';

import { ApiKeyController } from './api-key.controller';
import { ApiKeyService } from './api-key.service';
import { StoredApiKeyVerifier } from './stored-api-key.verifier';

/**
 * API keys with scopes: needs EVENT_STORE, API_KEY_READ_REPOSITORY and CLOCK
 * from the composition root. Global so the platform's key check (HTTP guard
 * and gRPC adapter alike) finds the ApiKeyVerifier it provides.
 */
@Global()
@Module({
  controllers: [ApiKeyController],
  providers: [ApiKeyService, StoredApiKeyVerifier, { provide: ApiKeyVerifier, useExisting: StoredApiKeyVerifier }],
  exports: [ApiKeyService, ApiKeyVerifier],
})
export class AccessModule {}
