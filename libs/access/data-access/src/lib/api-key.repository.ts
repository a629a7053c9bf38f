import type { ApiKeyView } from '@m2m-trust/access-domain';

/** Reads of the API key projection. */
export interface ApiKeyReadRepository {
  get(apiKeyId: string): Promise<ApiKeyView | null>;
  /** Every key, revoked and expired ones too, in creation order. */
  list(): Promise<readonly ApiKeyView[]>;
}

export const API_KEY_READ_REPOSITORY = Symbol.for('m2m-trust.ApiKeyReadRepository');
