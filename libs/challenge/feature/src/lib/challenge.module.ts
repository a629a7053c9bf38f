import { Module } from '@nestjs/common';

import { AuthenticationGrpcController } from './authentication.grpc-controller';
import { ChallengeController } from './challenge.controller';
import { ChallengeService } from './challenge.service';
import { DeviceCredentialsCache } from './device-credentials.cache';
import { PendingChallenges } from './pending-challenges';

/** Needs EVENT_STORE, EVENT_BUS, DEVICE_CREDENTIALS_REPOSITORY and CLOCK from the composition root. */
@Module({
  controllers: [ChallengeController],
  providers: [AuthenticationGrpcController, ChallengeService, DeviceCredentialsCache, PendingChallenges],
  exports: [AuthenticationGrpcController, ChallengeService],
})
export class ChallengeModule {}
