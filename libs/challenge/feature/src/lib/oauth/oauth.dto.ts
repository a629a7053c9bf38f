import { type Static, Type } from '@sinclair/typebox';

export const AuthorizationServerMetadataSchema = Type.Object(
  {
    issuer: Type.String({ format: 'uri' }),
    token_endpoint: Type.String({ format: 'uri' }),
    jwks_uri: Type.String({ format: 'uri' }),
    introspection_endpoint: Type.String({ format: 'uri' }),
    grant_types_supported: Type.Array(Type.String()),
    response_types_supported: Type.Array(Type.String()),
    token_endpoint_auth_methods_supported: Type.Array(Type.String()),
    token_endpoint_auth_signing_alg_values_supported: Type.Array(Type.String()),
    introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
  },
  { description: 'RFC 8414 authorization server metadata' },
);
export type AuthorizationServerMetadata = Static<typeof AuthorizationServerMetadataSchema>;

export const IntrospectionRequestSchema = Type.Object({
  token: Type.String({ minLength: 1, description: 'The access token' }),
  token_type_hint: Type.Optional(Type.String({ description: 'Ignored: this server issues access tokens only' })),
});

export const IntrospectionResponseSchema = Type.Union([
  Type.Object({ active: Type.Literal(false) }),
  Type.Object({
    active: Type.Literal(true),
    sub: Type.String({ description: 'The device id' }),
    client_id: Type.String({ description: 'The device id: a device is its own client' }),
    iss: Type.String(),
    aud: Type.String(),
    exp: Type.Unsafe<number>({ type: 'integer', description: 'Expiry, seconds since the epoch' }),
    iat: Type.Unsafe<number>({ type: 'integer', description: 'Issued at, seconds since the epoch' }),
    jti: Type.String(),
    token_type: Type.Literal('Bearer'),
    device_key_thumbprint: Type.String({ description: 'RFC 7638 thumbprint of the device key the token was issued to (a private claim, not cnf.jkt: the token is a bearer token)' }),
  }),
]);

export const OAuthErrorSchema = Type.Object(
  { error: Type.String(), error_description: Type.Optional(Type.String()) },
  { description: 'RFC 6749 section 5.2 error' },
);
export type OAuthErrorBody = Static<typeof OAuthErrorSchema>;
