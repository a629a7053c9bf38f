import { type DynamicModule, Module, type Type } from '@nestjs/common';

import { AuthenticationGrpcController } from './authentication.grpc-controller';
import { Authenticator } from './authenticator';
import { ChallengeController } from './challenge.controller';
import { ChallengeService } from './challenge.service';
import { DeviceCredentialsCache } from './device-credentials.cache';
import { PendingChallenges } from './pending-challenges';
import { TokensModule } from './tokens/tokens.module';

/**
 * Where challenges are decided: needs EVENT_STORE, EVENT_BUS, DEVICE_CREDENTIALS_REPOSITORY,
 * TOKEN_SIGNING_KEY_REPOSITORY and CLOCK from the composition root.
 */
@Module({
  imports: [TokensModule],
  controllers: [ChallengeController],
  providers: [AuthenticationGrpcController, ChallengeService, DeviceCredentialsCache, PendingChallenges, { provide: Authenticator, useExisting: ChallengeService }],
  exports: [AuthenticationGrpcController, ChallengeService, Authenticator, TokensModule],
})
export class ChallengeModule {}

/** Nest merges a dynamic module with its class's static metadata, so the remote variant is a class of its own. */
@Module({})
export class RemoteChallengeModule {
  /** The same HTTP and gRPC surface in front of another implementation: a gateway's client of the challenge service. */
  static using(authenticator: Type<Authenticator>, imports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: RemoteChallengeModule,
      imports,
      controllers: [ChallengeController],
      providers: [AuthenticationGrpcController, { provide: Authenticator, useClass: authenticator }],
      exports: [AuthenticationGrpcController, Authenticator],
    };
  }
}
