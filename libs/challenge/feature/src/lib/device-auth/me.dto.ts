import { type Static, Type } from '@sinclair/typebox';

export const MeResponseSchema = Type.Object({
  deviceId: Type.String(),
  keyThumbprint: Type.String({ description: 'RFC 7638 thumbprint of the device key' }),
  status: Type.Literal('active'),
  authentication: Type.Union([
    Type.Object({ method: Type.Literal('bearer'), tokenId: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }),
    Type.Object({
      method: Type.Literal('http-signature'),
      label: Type.String(),
      keyId: Type.String(),
      created: Type.String({ format: 'date-time' }),
      nonce: Type.Union([Type.String(), Type.Null()]),
      components: Type.Array(Type.String(), { description: 'The covered component identifiers, as in Signature-Input' }),
    }),
  ]),
});
export type MeResponse = Static<typeof MeResponseSchema>;
