import { DEVICE_ID_PATTERN } from '@m2m-trust/shared-domain';
import { VerifyFailureReason } from '@m2m-trust/shared-events';

import { type Static, Type } from '@sinclair/typebox';

export const InitiateChallengeBodySchema = Type.Object(
  { deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }) },
  { additionalProperties: false },
);
export type InitiateChallengeBody = Static<typeof InitiateChallengeBodySchema>;

export const ChallengeResponseSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  deviceId: Type.String(),
  nonce: Type.String({ description: 'Sign exactly these characters as UTF-8 bytes with the device key (docs/protocol.md)' }),
  algorithm: Type.Literal('Ed25519'),
  expiresAt: Type.String({ format: 'date-time' }),
});
export type ChallengeResponse = Static<typeof ChallengeResponseSchema>;

export const VerifyBodySchema = Type.Object(
  {
    challengeId: Type.String({ format: 'uuid' }),
    signature: Type.String({
      pattern: '^(?:[0-9a-fA-F]{128}|[A-Za-z0-9_-]{86})$',
      description: 'Ed25519 signature of the nonce: 64 bytes as 128 hex or 86 unpadded base64url characters',
    }),
  },
  { additionalProperties: false },
);
export type VerifyBody = Static<typeof VerifyBodySchema>;

export const VerifyResponseSchema = Type.Union([
  Type.Object({
    verified: Type.Literal(true),
    deviceId: Type.String(),
    verifiedAt: Type.String({ format: 'date-time' }),
    accessToken: Type.String({ description: 'A JWT signed with EdDSA by the service (docs/tokens.md): show it as "Authorization: Bearer <token>"' }),
    tokenType: Type.Literal('Bearer'),
    // Unsafe only to keep @nestjs/swagger's OpenAPI 3.0 types (exclusiveMaximum: boolean) happy; the schema is plain JSON Schema.
    expiresIn: Type.Unsafe<number>({ type: 'integer', minimum: 1, description: 'Seconds until accessToken expires' }),
  }),
  Type.Object({
    verified: Type.Literal(false),
    reason: Type.Union(Object.values(VerifyFailureReason).map((reason) => Type.Literal(reason))),
  }),
]);
export type VerifyResponse = Static<typeof VerifyResponseSchema>;
