import type { Message } from '@m2m-trust/shared-domain';

/** What an API key may do; every route requires one of them (docs/api-keys.md). */
export const API_KEY_SCOPES = ['devices:read', 'devices:write', 'audit:read', 'keys:admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export type ApiKeyCreated = Message<
  'ApiKeyCreated',
  {
    readonly apiKeyId: string;
    readonly name: string;
    readonly scopes: readonly ApiKeyScope[];
    /** null: the key does not expire. */
    readonly expiresAt: string | null;
    /** SHA-256 of the key's secret part, lowercase hex: the secret itself is never stored. */
    readonly secretHash: string;
    readonly createdAt: string;
  }
>;

export type ApiKeyRevoked = Message<
  'ApiKeyRevoked',
  {
    readonly apiKeyId: string;
    readonly reason: string | null;
    readonly revokedAt: string;
  }
>;

export type ApiKeyEvent = ApiKeyCreated | ApiKeyRevoked;
