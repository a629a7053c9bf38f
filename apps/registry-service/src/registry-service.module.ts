import { API_KEY_READ_REPOSITORY } from '@m2m-trust/access-data-access';
import { PostgresApiKeyProjection, PostgresApiKeys1763700001700 } from '@m2m-trust/access-data-access/postgres';
import { AccessModule } from '@m2m-trust/access-feature';
import { DEVICE_READ_REPOSITORY } from '@m2m-trust/registry-data-access';
import { PostgresDeviceProjection, PostgresDevices1763700001100 } from '@m2m-trust/registry-data-access/postgres';
import { deviceRegistryBinding, DeviceRegistryGrpcController, RegistryModule } from '@m2m-trust/registry-feature';
import { SERVICE_KAFKA, SERVICE_LOGGER, serviceInfrastructure, serviceRelay } from '@m2m-trust/shared-bootstrap';
import { CLOCK, type Clock, EVENT_STORE } from '@m2m-trust/shared-contracts';
import { apiKeyVerificationBinding, GRPC_SERVICES, GrpcServer, type GrpcServiceBinding } from '@m2m-trust/shared-grpc-server';
import type { KafkaEventBus } from '@m2m-trust/shared-messaging';
import { ApiKeyVerifier, HEALTH_CHECKS, PlatformModule, type PlatformOptions, requireDistributed } from '@m2m-trust/shared-platform';
import {
  type OutboxRelay,
  POSTGRES_DATABASE,
  type PostgresDatabase,
  PostgresEventStore,
  PostgresEventStore1763700001000,
} from '@m2m-trust/shared-postgres';

import { type DynamicModule, Global, Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';

const RELAY = Symbol('registry.relay');

class RegistryLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(POSTGRES_DATABASE) private readonly database: PostgresDatabase,
    @Inject(SERVICE_KAFKA) private readonly bus: KafkaEventBus,
    @Inject(RELAY) private readonly relay: OutboxRelay,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.start();
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    await this.bus.stop();
    await this.database.close();
  }
}

@Module({
  imports: [RegistryModule],
  providers: [
    {
      provide: GRPC_SERVICES,
      useFactory: (registry: DeviceRegistryGrpcController, keys: ApiKeyVerifier): GrpcServiceBinding[] => [deviceRegistryBinding(registry), apiKeyVerificationBinding(keys)],
      inject: [DeviceRegistryGrpcController, ApiKeyVerifier],
    },
    GrpcServer,
  ],
  exports: [GrpcServer],
})
class RegistryGrpcModule {}

@Global()
@Module({})
class RegistryPersistenceModule {}

/**
 * The registry service: devices and API keys are registered and revoked here,
 * in its own PostgreSQL schema; the outbox relay publishes their events to
 * Kafka, keyed by device or key id. Serves m2m.v1.DeviceRegistry, the
 * gateways' and services' key check (m2m.internal.v1.ApiKeyVerification) and,
 * over HTTP, /v1/api-keys (passed through by the gateways).
 */
@Module({})
export class RegistryServiceModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    requireDistributed(options.config, ['databaseUrl', 'kafkaBrokers']);
    return {
      module: RegistryServiceModule,
      imports: [PlatformModule.forRoot(options), persistence(options), AccessModule, RegistryGrpcModule],
    };
  }
}

/** PostgreSQL (schema "registry"), the event store with the devices and API keys projections inline, Kafka and the outbox relay. */
function persistence(options: PlatformOptions): DynamicModule {
  const { config } = options;
  return {
    module: RegistryPersistenceModule,
    providers: [
      ...serviceInfrastructure(config, { service: 'registry-service', schema: 'registry', migrations: [PostgresEventStore1763700001000, PostgresDevices1763700001100, PostgresApiKeys1763700001700] }),
      { provide: PostgresDeviceProjection, useFactory: (db: PostgresDatabase) => new PostgresDeviceProjection(db.pool), inject: [POSTGRES_DATABASE] },
      { provide: DEVICE_READ_REPOSITORY, useExisting: PostgresDeviceProjection },
      { provide: PostgresApiKeyProjection, useFactory: (db: PostgresDatabase) => new PostgresApiKeyProjection(db.pool), inject: [POSTGRES_DATABASE] },
      { provide: API_KEY_READ_REPOSITORY, useExisting: PostgresApiKeyProjection },
      {
        provide: EVENT_STORE,
        useFactory: (db: PostgresDatabase, devices: PostgresDeviceProjection, keys: PostgresApiKeyProjection, clock: Clock) => new PostgresEventStore(db, [devices, keys], clock),
        inject: [POSTGRES_DATABASE, PostgresDeviceProjection, PostgresApiKeyProjection, CLOCK],
      },
      {
        provide: RELAY,
        useFactory: (db: PostgresDatabase, bus: KafkaEventBus, logger: Logger) => serviceRelay(config, db, bus, 'registry', logger),
        inject: [POSTGRES_DATABASE, SERVICE_KAFKA, SERVICE_LOGGER],
      },
      RegistryLifecycle,
    ],
    exports: [POSTGRES_DATABASE, DEVICE_READ_REPOSITORY, API_KEY_READ_REPOSITORY, EVENT_STORE, HEALTH_CHECKS],
  };
}
