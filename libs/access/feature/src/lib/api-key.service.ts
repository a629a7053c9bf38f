import { API_KEY_READ_REPOSITORY, type ApiKeyReadRepository } from '@m2m-trust/access-data-access';
import { apiKeyDecider, type ApiKeyView } from '@m2m-trust/access-domain';
import { CLOCK, type Clock, decideAndAppend, EVENT_STORE, type EventStore } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { apiKeyStreamId, type EventMetadata } from '@m2m-trust/shared-events';

import { Inject, Injectable } from '@nestjs/common';

import { newApiKeySecret } from './api-key.hash';

export interface CreateApiKeyInput {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expiresAt?: string;
}

/** A key just created: the view, and the key itself, which exists nowhere else. */
export interface CreatedApiKey {
  readonly view: ApiKeyView;
  readonly key: string;
}

/** API key commands and queries. Thin: the rules live in the API key decider. */
@Injectable()
export class ApiKeyService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(API_KEY_READ_REPOSITORY) private readonly keys: ApiKeyReadRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(input: CreateApiKeyInput, metadata: EventMetadata): Promise<CreatedApiKey> {
    const { apiKeyId, key, secretHash } = newApiKeySecret();
    await decideAndAppend(
      this.store,
      apiKeyStreamId(apiKeyId),
      apiKeyDecider,
      {
        type: 'CreateApiKey',
        data: { apiKeyId, name: input.name, scopes: input.scopes, expiresAt: input.expiresAt ?? null, secretHash, now: this.clock.now().toISOString() },
      },
      metadata,
    );
    return { view: await this.get(apiKeyId), key };
  }

  async revoke(apiKeyId: string, reason: string | null, metadata: EventMetadata): Promise<ApiKeyView> {
    await decideAndAppend(
      this.store,
      apiKeyStreamId(apiKeyId),
      apiKeyDecider,
      { type: 'RevokeApiKey', data: { apiKeyId, reason, now: this.clock.now().toISOString() } },
      metadata,
    );
    return this.get(apiKeyId);
  }

  async get(apiKeyId: string): Promise<ApiKeyView> {
    const view = await this.keys.get(apiKeyId);
    if (!view) throw new DomainError(ErrorCode.ApiKeyNotFound, `API key ${apiKeyId} does not exist`);
    return view;
  }

  list(): Promise<readonly ApiKeyView[]> {
    return this.keys.list();
  }
}
