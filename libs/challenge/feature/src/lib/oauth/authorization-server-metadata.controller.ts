import { Public } from '@m2m-trust/shared-platform';
import { OAuthIssuer, TokenSigningKeyRing } from '@m2m-trust/token-feature';

import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { CLIENT_ASSERTION_ALGORITHMS } from './client-credentials.service';
import { type AuthorizationServerMetadata, AuthorizationServerMetadataSchema } from './oauth.dto';

/**
 * RFC 8414 metadata: how OAuth clients find the token endpoint, the client authentication it takes and the keys
 * that verify its tokens. Here, beside the endpoints it describes; the JWKS it points to is the token scope's.
 */
@ApiTags('OAuth 2.0')
@Public()
@Controller('.well-known')
export class AuthorizationServerMetadataController {
  constructor(
    private readonly ring: TokenSigningKeyRing,
    private readonly issuer: OAuthIssuer,
  ) {}

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
