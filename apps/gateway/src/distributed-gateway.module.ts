import httpProxy from '@fastify/http-proxy';
import { type DynamicModule, Module } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

import { authenticationBinding, AuthenticationGrpcController, RemoteChallengeModule } from '@m2m-trust/challenge-feature';
import { auditPassthroughBinding, DistributedClientsModule, RemoteAuthenticator, RemoteDeviceDirectory, ServiceClients } from '@m2m-trust/gateway-distributed';
import { deviceRegistryBinding, DeviceRegistryGrpcController, RemoteRegistryModule } from '@m2m-trust/registry-feature';
import { GRPC_SERVICES, GrpcServer, type GrpcServiceBinding } from '@m2m-trust/shared-grpc-server';
import { type AppConfig, PlatformModule, type PlatformOptions, requireDistributed } from '@m2m-trust/shared-platform';
import { RateLimitModule, type RateLimitStoreChoice } from '@m2m-trust/shared-rate-limit';

/** A gateway is distributed when it is told where the services are (all three, or start refuses). */
export const isDistributedGateway = (config: AppConfig): boolean =>
  config.distributed.registryGrpcUrl !== null || config.distributed.challengeGrpcUrl !== null || config.distributed.auditUrl !== null;

/**
 * /epcis/* is the audit service's own HTTP API, passed through as it is
 * (queries, SSE subscriptions, streamed exports, Link headers); the audit
 * service checks the API key. Registered on Fastify before Nest's routes.
 */
export async function proxyAuditService(fastify: FastifyInstance, config: AppConfig): Promise<void> {
  const { auditUrl } = requireDistributed(config, ['registryGrpcUrl', 'challengeGrpcUrl', 'auditUrl']);
  await fastify.register(httpProxy, {
    upstream: auditUrl,
    prefix: '/epcis',
    rewritePrefix: '/epcis',
    replyOptions: {
      // The gateway's request id goes along, so one id names the request in both services' logs.
      rewriteRequestHeaders: (request, headers) => ({ ...headers, 'x-request-id': String(request.id) }),
    },
  });
}

@Module({
  imports: [
    RemoteRegistryModule.using(RemoteDeviceDirectory),
    RemoteChallengeModule.using(RemoteAuthenticator),
  ],
  providers: [
    {
      provide: GRPC_SERVICES,
      useFactory: (registry: DeviceRegistryGrpcController, authentication: AuthenticationGrpcController, clients: ServiceClients): GrpcServiceBinding[] => [
        deviceRegistryBinding(registry),
        authenticationBinding(authentication),
        ...(clients.audit ? [auditPassthroughBinding(clients)] : []),
      ],
      inject: [DeviceRegistryGrpcController, AuthenticationGrpcController, ServiceClients],
    },
    GrpcServer,
  ],
  exports: [GrpcServer],
})
class GatewayGrpcModule {}

/**
 * The gateways hold the per-address and per-API-key limits; with
 * M2M_DATABASE_URL they count in one PostgreSQL table (schema "gateway") so
 * the limits hold across instances (docs/abuse-limits.md).
 */
function rateLimitStore(config: AppConfig): RateLimitStoreChoice {
  if (config.distributed.databaseUrl) return { kind: 'postgres', defaultSchema: 'gateway', service: 'gateway' };
  return { kind: 'memory', warning: 'M2M_DATABASE_URL is not set: rate limits are counted per gateway instance, not across instances' };
}

/** The distributed gateway: the same public HTTP and gRPC API, every call answered by the services behind it. */
@Module({})
export class DistributedGatewayModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    requireDistributed(options.config, ['registryGrpcUrl', 'challengeGrpcUrl', 'auditUrl']);
    return {
      module: DistributedGatewayModule,
      imports: [
        PlatformModule.forRoot(options),
        RateLimitModule.forRoot(options, { store: rateLimitStore(options.config), enforce: ['http', 'grpc'] }),
        DistributedClientsModule,
        GatewayGrpcModule,
      ],
    };
  }
}
