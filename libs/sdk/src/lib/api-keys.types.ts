// The wire shapes of /v1/api-keys (docs/api-keys.md), written out here: the SDK depends on nothing inside the workspace.

export const API_KEY_SCOPES = ['devices:read', 'devices:write', 'audit:read', 'keys:admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** `expired` is read against the service's clock when it answers. */
export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

/** An API key as listed: never its secret. */
export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly createdAt: string;
  /** null: the key does not expire. */
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly status: ApiKeyStatus;
}

/** A key just created, with the key itself (`m2m_<id>_<secret>`): the service shows it this once and keeps only its hash. */
export interface CreatedApiKey extends ApiKey {
  readonly key: string;
}

export interface CreateApiKeyInput {
  /** 1 to 100 characters. */
  readonly name: string;
  /** At least one, each at most once. */
  readonly scopes: readonly ApiKeyScope[];
  /** RFC 3339 date-time in the future (a Date is sent as its ISO string); omitted: the key does not expire. */
  readonly expiresAt?: string | Date;
}

export interface RevokeApiKeyInput {
  /** Recorded in the audit log. */
  readonly reason?: string;
}
