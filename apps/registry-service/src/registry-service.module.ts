import { API_KEY_READ_REPOSITORY } from '@m2m-trust/access-data-access';
import { accessPostgresMigrations, accessPostgresProviders, PostgresApiKeyProjection } from '@m2m-trust/access-data-access/postgres';
import { AccessModule } from '@m2m-trust/access-feature';
import { DEVICE_READ_REPOSITORY } from '@m2m-trust/registry-data-access';
import { PostgresDeviceProjection, registryPostgresMigrations, registryPostgresProviders } from '@m2m-trust/registry-data-access/postgres';
import { deviceRegistryBinding, DeviceRegistryGrpcController, RegistryModule } from '@m2m-trust/registry-feature';
import { ServiceGrpcModule, serviceInfrastructure, ServicePersistenceModule } from '@m2m-trust/shared-bootstrap';
import { CLOCK, type Clock, EVENT_STORE } from '@m2m-trust/shared-contracts';
import { apiKeyVerificationBinding } from '@m2m-trust/shared-grpc-server';
import { ApiKeyVerifier, HEALTH_CHECKS, PlatformModule, type PlatformOptions, requireDistributed } from '@m2m-trust/shared-platform';
import { eventStorePostgresMigrations, POSTGRES_DATABASE, type PostgresDatabase, PostgresEventStore } from '@m2m-trust/shared-postgres';

import { type DynamicModule, Module } from '@nestjs/common';

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
      imports: [
        PlatformModule.forRoot(options),
        persistence(options),
        AccessModule,
        ServiceGrpcModule.forRoot({
          imports: [RegistryModule],
          inject: [DeviceRegistryGrpcController, ApiKeyVerifier],
          bindings: (registry: DeviceRegistryGrpcController, keys: ApiKeyVerifier) => [deviceRegistryBinding(registry), apiKeyVerificationBinding(keys)],
        }),
      ],
    };
  }
}

/** PostgreSQL (schema "registry"), the event store with the devices and API keys projections inline, Kafka and the outbox relay. */
function persistence(options: PlatformOptions): DynamicModule {
  const { config } = options;
  return ServicePersistenceModule.forRoot({
    providers: [
      ...serviceInfrastructure(config, {
        service: 'registry-service',
        schema: 'registry',
        migrations: [...eventStorePostgresMigrations, ...registryPostgresMigrations, ...accessPostgresMigrations],
        relay: 'registry',
      }),
      ...registryPostgresProviders(),
      ...accessPostgresProviders(),
      {
        provide: EVENT_STORE,
        useFactory: (db: PostgresDatabase, devices: PostgresDeviceProjection, keys: PostgresApiKeyProjection, clock: Clock) => new PostgresEventStore(db, [devices, keys], clock),
        inject: [POSTGRES_DATABASE, PostgresDeviceProjection, PostgresApiKeyProjection, CLOCK],
      },
    ],
    exports: [POSTGRES_DATABASE, DEVICE_READ_REPOSITORY, API_KEY_READ_REPOSITORY, EVENT_STORE, HEALTH_CHECKS],
  });
}
