import type { Logger } from 'pino';
import { type DynamicModule, Global, Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import { DEVICE_READ_REPOSITORY, PostgresDeviceProjection, PostgresDevices1763700001100 } from '@m2m-trust/registry-data-access';
import { deviceRegistryBinding, DeviceRegistryGrpcController, RegistryModule } from '@m2m-trust/registry-feature';
import { SERVICE_KAFKA, SERVICE_LOGGER, serviceInfrastructure, serviceRelay } from '@m2m-trust/shared-bootstrap';
import { CLOCK, type Clock, EVENT_STORE } from '@m2m-trust/shared-contracts';
import { GRPC_SERVICES, GrpcServer } from '@m2m-trust/shared-grpc-server';
import type { KafkaEventBus } from '@m2m-trust/shared-messaging';
import { HEALTH_CHECKS, PlatformModule, type PlatformOptions, requireDistributed } from '@m2m-trust/shared-platform';
import {
  type OutboxRelay,
  POSTGRES_DATABASE,
  type PostgresDatabase,
  PostgresEventStore,
  PostgresEventStore1763700001000,
} from '@m2m-trust/shared-postgres';

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
    { provide: GRPC_SERVICES, useFactory: (registry: DeviceRegistryGrpcController) => [deviceRegistryBinding(registry)], inject: [DeviceRegistryGrpcController] },
    GrpcServer,
  ],
  exports: [GrpcServer],
})
class RegistryGrpcModule {}

@Global()
@Module({})
class RegistryPersistenceModule {}

/**
 * The registry service: devices are registered and revoked here, in its own
 * PostgreSQL schema; the outbox relay publishes DeviceRegistered and
 * DeviceRevoked to Kafka, keyed by device id. Serves m2m.v1.DeviceRegistry.
 */
@Module({})
export class RegistryServiceModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    requireDistributed(options.config, ['databaseUrl', 'kafkaBrokers']);
    return {
      module: RegistryServiceModule,
      imports: [PlatformModule.forRoot(options), persistence(options), RegistryGrpcModule],
    };
  }
}

/** PostgreSQL (schema "registry"), the event store with the devices projection inline, Kafka and the outbox relay. */
function persistence(options: PlatformOptions): DynamicModule {
  const { config } = options;
  return {
    module: RegistryPersistenceModule,
    providers: [
      ...serviceInfrastructure(config, { service: 'registry-service', schema: 'registry', migrations: [PostgresEventStore1763700001000, PostgresDevices1763700001100] }),
      { provide: PostgresDeviceProjection, useFactory: (db: PostgresDatabase) => new PostgresDeviceProjection(db.pool), inject: [POSTGRES_DATABASE] },
      { provide: DEVICE_READ_REPOSITORY, useExisting: PostgresDeviceProjection },
      {
        provide: EVENT_STORE,
        useFactory: (db: PostgresDatabase, devices: PostgresDeviceProjection, clock: Clock) => new PostgresEventStore(db, [devices], clock),
        inject: [POSTGRES_DATABASE, PostgresDeviceProjection, CLOCK],
      },
      {
        provide: RELAY,
        useFactory: (db: PostgresDatabase, bus: KafkaEventBus, logger: Logger) => serviceRelay(config, db, bus, 'registry', logger),
        inject: [POSTGRES_DATABASE, SERVICE_KAFKA, SERVICE_LOGGER],
      },
      RegistryLifecycle,
    ],
    exports: [POSTGRES_DATABASE, DEVICE_READ_REPOSITORY, EVENT_STORE, HEALTH_CHECKS],
  };
}
