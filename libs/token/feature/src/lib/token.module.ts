import { Module } from '@nestjs/common';

import { AccessTokens } from './access-tokens';
import { JoseAccessTokens } from './jose-access-tokens';
import { JwksController } from './jwks.controller';
import { OAuthIssuer } from './oauth-issuer';
import { TokenSigningKeyRing } from './token-signing-key-ring';

/**
 * Access tokens: their key ring, issuing and verifying them, and the JWKS that
 * publishes the ring. Needs TOKEN_SIGNING_KEY_REPOSITORY, CLOCK, APP_CONFIG and
 * ServiceAudience from the composition root. Who may have a token is decided
 * elsewhere (the challenge scope authenticates devices, then asks for one).
 */
@Module({
  controllers: [JwksController],
  providers: [JoseAccessTokens, OAuthIssuer, TokenSigningKeyRing, { provide: AccessTokens, useExisting: JoseAccessTokens }],
  exports: [AccessTokens, OAuthIssuer, TokenSigningKeyRing],
})
export class TokenModule {}
