import { Module } from '@nestjs/common';

import { AccessTokens } from './access-tokens';
import { JoseAccessTokens } from './jose-access-tokens';
import { OAuthDiscoveryController } from './oauth-discovery.controller';
import { OAuthIssuer } from './oauth-issuer';
import { TokenIntrospectionController } from './token-introspection.controller';
import { TokenIntrospection } from './token-introspection.service';
import { TokenSigningKeyRing } from './token-signing-key-ring';

/**
 * Access tokens, their key ring, JWKS, RFC 8414 metadata and RFC 7662
 * introspection: needs TOKEN_SIGNING_KEY_REPOSITORY, DEVICE_CREDENTIALS_REPOSITORY,
 * CLOCK, APP_CONFIG and ServiceAudience from the composition root.
 */
@Module({
  controllers: [OAuthDiscoveryController, TokenIntrospectionController],
  providers: [
    JoseAccessTokens,
    OAuthIssuer,
    TokenIntrospection,
    TokenSigningKeyRing,
    { provide: AccessTokens, useExisting: JoseAccessTokens },
  ],
  exports: [AccessTokens, OAuthIssuer, TokenSigningKeyRing],
})
export class TokensModule {}
