import { Module } from '@nestjs/common';

import { AuditModule } from '@m2m-trust/audit-feature';
import { ChallengeModule } from '@m2m-trust/challenge-feature';
import { RegistryModule } from '@m2m-trust/registry-feature';

import { GrpcServer } from './grpc.server';

/** The gRPC transport: the feature modules' gRPC controllers behind one grpc-js server. */
@Module({
  imports: [AuditModule, ChallengeModule, RegistryModule],
  providers: [GrpcServer],
  exports: [GrpcServer],
})
export class GrpcModule {}
