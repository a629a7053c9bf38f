import { DEVICE_CREDENTIALS_REPOSITORY, DEVICE_LOCKOUT_REPOSITORY } from '@m2m-trust/challenge-data-access';
import {
  challengePostgresMigrations,
  challengePostgresProviders,
  PostgresDeviceCredentialsProjection,
  PostgresDeviceLockoutProjection,
} from '@m2m-trust/challenge-data-access/postgres';
import { authenticationBinding, AuthenticationGrpcController, ChallengeModule, devicePropagationBinding } from '@m2m-trust/challenge-feature';
import { serviceConsumer, serviceEventBus, ServiceGrpcModule, serviceInfrastructure, ServicePersistenceModule } from '@m2m-trust/shared-bootstrap';
import { CLOCK, type Clock, EVENT_BUS, EVENT_STORE } from '@m2m-trust/shared-contracts';
import { RemoteApiKeyVerifierModule } from '@m2m-trust/shared-grpc-server';
import { ConfigError, HEALTH_CHECKS, PlatformModule, type PlatformOptions, requireDistributed } from '@m2m-trust/shared-platform';
import { eventStorePostgresMigrations, POSTGRES_DATABASE, type PostgresDatabase, PostgresEventStore } from '@m2m-trust/shared-postgres';
import { RateLimitModule } from '@m2m-trust/shared-rate-limit';
import { TOKEN_SIGNING_KEY_REPOSITORY } from '@m2m-trust/token-data-access';
import { tokenPostgresMigrations, tokenPostgresProviders } from '@m2m-trust/token-data-access/postgres';

import { type DynamicModule, Module } from '@nestjs/common';

const DEVICE_EVENTS = ['DeviceRegistered', 'DeviceRevoked'] as const;

/**
 * The challenge service: issues and verifies challenges, in its own
 * PostgreSQL schema shared by every instance (so a challenge issued by one
 * verifies on another, once). Knows devices from the registry's topic; serves
 * m2m.v1.Authentication and the gateways' propagation barrier.
 */
@Module({})
export class ChallengeServiceModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    requireDistributed(options.config, ['databaseUrl', 'kafkaBrokers', 'registryGrpcUrl']);
    // Nonces name the public service, not this internal address (docs/protocol.md).
    if (options.config.challenge.audience === null) {
      throw new ConfigError('Invalid configuration: M2M_AUDIENCE must be set for the challenge service (the public URL devices call, e.g. the gateway\'s)');
    }
    return {
      module: ChallengeServiceModule,
      imports: [
        PlatformModule.forRoot(options),
        // The per-device limit, shared by every instance; its callers are gateways, so no per-address or per-key limit here.
        RateLimitModule.forRoot(options, { store: { kind: 'postgres', defaultSchema: 'challenge', service: 'challenge-service' }, enforce: [] }),
        persistence(options),
        // API keys other than the admin key are the registry's to check (docs/api-keys.md).
        RemoteApiKeyVerifierModule,
        ServiceGrpcModule.forRoot({
          imports: [ChallengeModule],
          inject: [AuthenticationGrpcController, PostgresDeviceCredentialsProjection],
          bindings: (authentication: AuthenticationGrpcController, credentials: PostgresDeviceCredentialsProjection) => [
            authenticationBinding(authentication),
            devicePropagationBinding((deviceId, standing, timeoutMs) => credentials.awaitStanding(deviceId, standing, timeoutMs)),
          ],
        }),
      ],
    };
  }
}

/** PostgreSQL (schema "challenge"): challenge streams, device credentials, token signing keys; Kafka in and out; the outbox relay. */
function persistence(options: PlatformOptions): DynamicModule {
  const { config } = options;
  return ServicePersistenceModule.forRoot({
    providers: [
      ...serviceInfrastructure(config, {
        service: 'challenge-service',
        schema: 'challenge',
        migrations: [...eventStorePostgresMigrations, ...challengePostgresMigrations, ...tokenPostgresMigrations],
        groupId: 'challenge-service',
        relay: 'challenge',
      }),
      ...challengePostgresProviders(),
      ...tokenPostgresProviders(),
      serviceEventBus(),
      {
        provide: EVENT_STORE,
        // Failure records commit with the failures; a plain success still takes the one-statement path (appliesTo).
        useFactory: (db: PostgresDatabase, credentials: PostgresDeviceCredentialsProjection, lockouts: PostgresDeviceLockoutProjection, clock: Clock) =>
          new PostgresEventStore(db, [lockouts], clock, { conditions: credentials.conditionSource }),
        inject: [POSTGRES_DATABASE, PostgresDeviceCredentialsProjection, PostgresDeviceLockoutProjection, CLOCK],
      },
      // The device credentials, from the registry's topic; then this instance's key cache hears of the change. Other
      // instances' caches are caught by the verify's append condition, which reads the shared table.
      serviceConsumer({
        types: DEVICE_EVENTS,
        inject: PostgresDeviceCredentialsProjection,
        apply: async (credentials: PostgresDeviceCredentialsProjection, tx, events) => {
          for (const event of events) await credentials.apply(tx, event);
        },
      }),
    ],
    exports: [
      POSTGRES_DATABASE,
      PostgresDeviceCredentialsProjection,
      DEVICE_CREDENTIALS_REPOSITORY,
      DEVICE_LOCKOUT_REPOSITORY,
      TOKEN_SIGNING_KEY_REPOSITORY,
      EVENT_BUS,
      EVENT_STORE,
      HEALTH_CHECKS,
    ],
  });
}
