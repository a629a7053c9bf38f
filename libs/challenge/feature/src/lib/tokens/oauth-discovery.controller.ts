import { Public } from '@m2m-trust/shared-platform';

import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { JSONWebKeySet } from 'jose';

import { CLIENT_ASSERTION_ALGORITHMS } from '../oauth/client-credentials.service';
import { type AuthorizationServerMetadata, AuthorizationServerMetadataSchema, JwksSchema } from './oauth.dto';
import { OAuthIssuer } from './oauth-issuer';
import { TokenSigningKeyRing } from './token-signing-key-ring';

/** What resource servers and OAuth clients fetch to trust this service's tokens: public, cacheable. */
@ApiTags('OAuth 2.0')
@Public()
@Controller('.well-known')
export class OAuthDiscoveryController {
  constructor(
    private readonly ring: TokenSigningKeyRing,
    private readonly issuer: OAuthIssuer,
  ) {}

  @Get('jwks.json')
  @ApiOperation({
    summary: 'The keys that verify access tokens (RFC 7517), by kid',
    description: 'Holds the signing key, the next key before it signs and retired keys until their tokens have expired; cacheable for less than the publish-ahead delay (docs/tokens.md).',
  })
  @ApiOkResponse({ schema: JwksSchema })
  jwks(@Res({ passthrough: true }) reply: FastifyReply): JSONWebKeySet {
    void reply.header('cache-control', `public, max-age=${this.ring.schedule.jwksMaxAgeSeconds}`);
    return { keys: this.ring.published().map((key) => key.jwk) };
  }

  @Get('oauth-authorization-server')
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414): the issuer and its endpoints' })
  @ApiOkResponse({ schema: AuthorizationServerMetadataSchema })
  metadata(@Res({ passthrough: true }) reply: FastifyReply): AuthorizationServerMetadata {
    void reply.header('cache-control', `public, max-age=${this.ring.schedule.jwksMaxAgeSeconds}`);
    return {
      issuer: this.issuer.issuer(),
      token_endpoint: this.issuer.endpoint('/oauth2/token'),
      jwks_uri: this.issuer.endpoint('/.well-known/jwks.json'),
      introspection_endpoint: this.issuer.endpoint('/oauth2/introspect'),
      grant_types_supported: ['client_credentials'],
      // RFC 8414 requires the member; there is no authorization endpoint, so no response type.
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      // EdDSA (RFC 8037) and its fully-specified name Ed25519 (RFC 9864, what openid-client signs with): the same signature.
      token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
      // An access token type is a valid value here (RFC 8414 section 2): the operator API key, sent as a bearer token.
      introspection_endpoint_auth_methods_supported: ['Bearer'],
    };
  }
}
