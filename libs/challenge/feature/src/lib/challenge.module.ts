import { TokenModule } from '@m2m-trust/token-feature';

import { type DynamicModule, Module, type Type } from '@nestjs/common';

import { AuthenticationGrpcController } from './authentication.grpc-controller';
import { Authenticator } from './authenticator';
import { ChallengeController } from './challenge.controller';
import { ChallengeService } from './challenge.service';
import { DEVICE_AUTH_PROVIDERS } from './device-auth/device-auth.providers';
import { MeController } from './device-auth/me.controller';
import { DeviceCredentialsCache } from './device-credentials.cache';
import { LockoutController } from './lockout/lockout.controller';
import { LockoutService } from './lockout/lockout.service';
import { AuthorizationServerMetadataController } from './oauth/authorization-server-metadata.controller';
import { ClientCredentials } from './oauth/client-credentials';
import { ClientCredentialsService } from './oauth/client-credentials.service';
import { TokenController } from './oauth/token.controller';
import { TokenIntrospectionController } from './oauth/token-introspection.controller';
import { TokenIntrospection } from './oauth/token-introspection.service';
import { PendingChallenges } from './pending-challenges';

/**
 * Where devices authenticate (challenges, client assertions at the OAuth token endpoint) and lockouts are decided,
 * and where a token's holder is checked (introspection, /v1/me); the tokens themselves are the token scope's
 * TokenModule, imported here and passed on. Needs EVENT_STORE, EVENT_BUS, DEVICE_CREDENTIALS_REPOSITORY,
 * DEVICE_LOCKOUT_REPOSITORY, TOKEN_SIGNING_KEY_REPOSITORY and CLOCK from the composition root.
 */
@Module({
  imports: [TokenModule],
  controllers: [AuthorizationServerMetadataController, ChallengeController, LockoutController, MeController, TokenController, TokenIntrospectionController],
  providers: [
    AuthenticationGrpcController,
    ChallengeService,
    ClientCredentialsService,
    DeviceCredentialsCache,
    LockoutService,
    PendingChallenges,
    TokenIntrospection,
    { provide: Authenticator, useExisting: ChallengeService },
    { provide: ClientCredentials, useExisting: ClientCredentialsService },
    ...DEVICE_AUTH_PROVIDERS,
  ],
  // DeviceAuthGuard's dependencies travel with it, so another module's routes can use @DeviceAuth().
  exports: [AuthenticationGrpcController, ChallengeService, Authenticator, DeviceCredentialsCache, TokenModule, ...DEVICE_AUTH_PROVIDERS],
})
export class ChallengeModule {}

/** Nest merges a dynamic module with its class's static metadata, so the remote variant is a class of its own. */
@Module({})
export class RemoteChallengeModule {
  /** The same HTTP and gRPC surface in front of another implementation: a gateway's client of the challenge service. */
  static using(authenticator: Type<Authenticator & ClientCredentials>, imports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: RemoteChallengeModule,
      imports,
      controllers: [ChallengeController],
      providers: [AuthenticationGrpcController, { provide: Authenticator, useClass: authenticator }, { provide: ClientCredentials, useExisting: Authenticator }],
      exports: [AuthenticationGrpcController, Authenticator],
    };
  }
}
