import { API_KEY_READ_REPOSITORY, type ApiKeyReadRepository } from '@m2m-trust/access-data-access';
import { apiKeyStatus, parseApiKey } from '@m2m-trust/access-domain';
import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { ApiKeyVerifier, type VerifiedApiKey } from '@m2m-trust/shared-platform';

import { Inject, Injectable } from '@nestjs/common';

import { secretMatches } from './api-key.hash';

/** The platform's key check for managed keys: found by the id inside the key, its secret compared by hash. */
@Injectable()
export class StoredApiKeyVerifier extends ApiKeyVerifier {
  constructor(
    @Inject(API_KEY_READ_REPOSITORY) private readonly keys: ApiKeyReadRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  async verify(presentedKey: string): Promise<VerifiedApiKey | null> {
    const parsed = parseApiKey(presentedKey);
    if (!parsed) return null;
    const view = await this.keys.get(parsed.apiKeyId);
    if (!view || !secretMatches(parsed.secret, view.secretHash)) return null;
    if (apiKeyStatus(view, this.clock.now()) !== 'active') return null;
    return { id: view.apiKeyId, scopes: view.scopes };
  }
}
