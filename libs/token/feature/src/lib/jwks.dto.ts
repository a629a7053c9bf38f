import { Type } from '@sinclair/typebox';

export const JwkSchema = Type.Object({
  kty: Type.Literal('OKP'),
  crv: Type.Literal('Ed25519'),
  x: Type.String({ description: 'The public key, base64url' }),
  kid: Type.String({ description: 'RFC 7638 thumbprint of the key' }),
  alg: Type.Literal('EdDSA'),
  use: Type.Literal('sig'),
});

export const JwksSchema = Type.Object({ keys: Type.Array(JwkSchema) }, { description: 'RFC 7517 JWK Set of the access-token signing keys' });
