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
import { ClientCredentials } from './oauth/client-credentials';
import { ClientCredentialsService } from './oauth/client-credentials.service';
import { TokenController } from './oauth/token.controller';
import { PendingChallenges } from './pending-challenges';
import { TokensModule } from './tokens/tokens.module';

/**
 * Where challenges, client assertions and lockouts are decided, and access tokens signed: needs EVENT_STORE,
 * EVENT_BUS, DEVICE_CREDENTIALS_REPOSITORY, DEVICE_LOCKOUT_REPOSITORY, TOKEN_SIGNING_KEY_REPOSITORY and CLOCK
 * from the composition root.
 */
@Module({
  imports: [TokensModule],
  controllers: [ChallengeController, LockoutController, MeController, TokenController],
  providers: [
    AuthenticationGrpcController,
    ChallengeService,
    ClientCredentialsService,
    DeviceCredentialsCache,
    LockoutService,
    PendingChallenges,
    { provide: Authenticator, useExisting: ChallengeService },
    { provide: ClientCredentials, useExisting: ClientCredentialsService },
    ...DEVICE_AUTH_PROVIDERS,
  ],
  // DeviceAuthGuard's dependencies travel with it, so another module's routes can use @DeviceAuth().
  exports: [AuthenticationGrpcController, ChallengeService, Authenticator, DeviceCredentialsCache, TokensModule, ...DEVICE_AUTH_PROVIDERS],
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
