import { API_KEY_NAME_MAX_LENGTH } from '@m2m-trust/access-domain';
import { API_KEY_SCOPES } from '@m2m-trust/shared-events';
import { PlainTextString } from '@m2m-trust/shared-platform';

import { type Static, Type } from '@sinclair/typebox';

const ScopeSchema = Type.Union(
  API_KEY_SCOPES.map((scope) => Type.Literal(scope)),
  { description: 'devices:read, devices:write, audit:read or keys:admin' },
);

export const ApiKeyIdParamsSchema = Type.Object(
  { apiKeyId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'The key id: the part between "m2m_" and the next "_"' }) },
  { additionalProperties: false },
);
export type ApiKeyIdParams = Static<typeof ApiKeyIdParamsSchema>;

export const CreateApiKeyBodySchema = Type.Object(
  {
    name: PlainTextString({ minLength: 1, maxLength: API_KEY_NAME_MAX_LENGTH, description: 'What the key is for', examples: ['CI pipeline'] }),
    scopes: Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true, description: 'What the key may do, each at most once' }),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'RFC 3339 date-time in the future; omitted: the key does not expire' })),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBodySchema>;

export const RevokeApiKeyBodySchema = Type.Object(
  { reason: Type.Optional(PlainTextString({ maxLength: 500, description: 'Why the key is revoked; recorded in the audit log' })) },
  { additionalProperties: false },
);
export type RevokeApiKeyBody = Static<typeof RevokeApiKeyBodySchema>;

/** A key as listed: never its secret, nor the hash of it. */
export const ApiKeyResponseSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(ScopeSchema),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
});
export type ApiKeyResponse = Static<typeof ApiKeyResponseSchema>;

export const CreatedApiKeyResponseSchema = Type.Composite([
  ApiKeyResponseSchema,
  Type.Object({ key: Type.String({ description: 'The key itself, m2m_<id>_<secret>: shown this once and never again' }) }),
]);
export type CreatedApiKeyResponse = Static<typeof CreatedApiKeyResponseSchema>;

export const ApiKeyListResponseSchema = Type.Object({ items: Type.Array(ApiKeyResponseSchema) });
export type ApiKeyListResponse = Static<typeof ApiKeyListResponseSchema>;
