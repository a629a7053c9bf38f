export * from './lib/access-tokens';
export * from './lib/jose-access-tokens';
export * from './lib/jwks.controller';
export * from './lib/jwks.dto';
export * from './lib/oauth-issuer';
export * from './lib/token.module';
export * from './lib/token-signing-key-ring';
