import { auditBinding, AuditGrpcController, AuditModule } from '@m2m-trust/audit-feature';
import { authenticationBinding, AuthenticationGrpcController, ChallengeModule } from '@m2m-trust/challenge-feature';
import { deviceRegistryBinding, DeviceRegistryGrpcController, RegistryModule } from '@m2m-trust/registry-feature';
import { GRPC_SERVICES, GrpcServer, type GrpcServiceBinding } from '@m2m-trust/shared-grpc-server';

import { Module } from '@nestjs/common';

/** The gRPC transport: the feature modules' gRPC controllers behind one grpc-js server. */
@Module({
  imports: [AuditModule, ChallengeModule, RegistryModule],
  providers: [
    {
      provide: GRPC_SERVICES,
      useFactory: (registry: DeviceRegistryGrpcController, authentication: AuthenticationGrpcController, audit: AuditGrpcController): GrpcServiceBinding[] => [
        deviceRegistryBinding(registry),
        authenticationBinding(authentication),
        auditBinding(audit),
      ],
      inject: [DeviceRegistryGrpcController, AuthenticationGrpcController, AuditGrpcController],
    },
    GrpcServer,
  ],
  exports: [GrpcServer],
})
export class GrpcModule {}
