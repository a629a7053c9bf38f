import type { Message } from '@m2m-trust/shared-domain';

export type CreateApiKey = Message<
  'CreateApiKey',
  {
    /** Made by the handler (random): the decider draws nothing itself. */
    readonly apiKeyId: string;
    readonly name: string;
    /** As the caller sent them; the decider checks them. */
    readonly scopes: readonly string[];
    /** RFC 3339, or null for a key that does not expire. */
    readonly expiresAt: string | null;
    /** SHA-256 of the secret, lowercase hex: the secret itself never reaches the domain. */
    readonly secretHash: string;
    readonly now: string;
  }
>;

export type RevokeApiKey = Message<
  'RevokeApiKey',
  {
    readonly apiKeyId: string;
    readonly reason: string | null;
    readonly now: string;
  }
>;

export type ApiKeyCommand = CreateApiKey | RevokeApiKey;
