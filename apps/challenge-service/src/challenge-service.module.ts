import { DEVICE_CREDENTIALS_REPOSITORY, DEVICE_LOCKOUT_REPOSITORY, PostgresTokenSigningKeyRepository, PostgresTokenSigningKeys1763700001260, TOKEN_SIGNING_KEY_REPOSITORY } from '@m2m-trust/challenge-data-access';
import { PostgresDeviceCredentials1763700001200, PostgresDeviceCredentialsProjection, PostgresDeviceLockoutProjection, PostgresDeviceLockouts1763700001600 } from '@m2m-trust/challenge-data-access/postgres';
import { authenticationBinding, AuthenticationGrpcController, ChallengeModule, devicePropagationBinding } from '@m2m-trust/challenge-feature';
import { SERVICE_KAFKA, SERVICE_LOGGER, serviceInfrastructure, serviceRelay, startConsuming } from '@m2m-trust/shared-bootstrap';
import { CLOCK, type Clock, EVENT_BUS, EVENT_STORE, type EventBus } from '@m2m-trust/shared-contracts';
import { InProcessEventBus } from '@m2m-trust/shared-data-access';
import { GRPC_SERVICES, GrpcServer, type GrpcServiceBinding, RemoteApiKeyVerifierModule } from '@m2m-trust/shared-grpc-server';
import type { KafkaEventBus } from '@m2m-trust/shared-messaging';
import { ConfigError, HEALTH_CHECKS, PlatformModule, type PlatformOptions, requireDistributed } from '@m2m-trust/shared-platform';
import {
  type OutboxRelay,
  POSTGRES_DATABASE,
  type PostgresDatabase,
  PostgresEventStore,
  PostgresEventStore1763700001000,
} from '@m2m-trust/shared-postgres';
import { RateLimitModule } from '@m2m-trust/shared-rate-limit';

import { type DynamicModule, Global, Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';

const RELAY = Symbol('challenge.relay');

const DEVICE_EVENTS = ['DeviceRegistered', 'DeviceRevoked'] as const;

/**
 * Feeds the device credentials from the registry's topic: each batch in one
 * transaction, offsets committed after it; then this instance's key cache
 * hears of the change. Other instances' caches are caught by the verify's
 * append condition, which reads the shared table.
 */
class ChallengeLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(POSTGRES_DATABASE) private readonly database: PostgresDatabase,
    @Inject(SERVICE_KAFKA) private readonly kafka: KafkaEventBus,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Inject(RELAY) private readonly relay: OutboxRelay,
    @Inject(EVENT_BUS) private readonly local: EventBus,
    private readonly credentials: PostgresDeviceCredentialsProjection,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.kafka.subscribeBatch(DEVICE_EVENTS, async (events) => {
      await this.database.transaction(async (tx) => {
        for (const event of events) await this.credentials.apply(tx, event);
      });
      await this.local.publish(events);
    });
    startConsuming(this.kafka, this.logger);
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    await this.kafka.stop();
    await this.database.close();
  }
}

@Module({
  imports: [ChallengeModule],
  providers: [
    {
      provide: GRPC_SERVICES,
      useFactory: (authentication: AuthenticationGrpcController, credentials: PostgresDeviceCredentialsProjection): GrpcServiceBinding[] => [
        authenticationBinding(authentication),
        devicePropagationBinding((deviceId, standing, timeoutMs) => credentials.awaitStanding(deviceId, standing, timeoutMs)),
      ],
      inject: [AuthenticationGrpcController, PostgresDeviceCredentialsProjection],
    },
    GrpcServer,
  ],
  exports: [GrpcServer],
})
class ChallengeGrpcModule {}

@Global()
@Module({})
class ChallengePersistenceModule {}

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
        ChallengeGrpcModule,
      ],
    };
  }
}

/** PostgreSQL (schema "challenge"): challenge streams, device credentials, token signing keys; Kafka in and out; the outbox relay. */
function persistence(options: PlatformOptions): DynamicModule {
  const { config } = options;
  return {
    module: ChallengePersistenceModule,
    providers: [
      ...serviceInfrastructure(config, {
        service: 'challenge-service',
        schema: 'challenge',
        migrations: [PostgresEventStore1763700001000, PostgresDeviceCredentials1763700001200, PostgresTokenSigningKeys1763700001260, PostgresDeviceLockouts1763700001600],
        groupId: 'challenge-service',
      }),
      {
        provide: PostgresDeviceCredentialsProjection,
        useFactory: (db: PostgresDatabase) => new PostgresDeviceCredentialsProjection(db.pool),
        inject: [POSTGRES_DATABASE],
      },
      { provide: DEVICE_CREDENTIALS_REPOSITORY, useExisting: PostgresDeviceCredentialsProjection },
      { provide: TOKEN_SIGNING_KEY_REPOSITORY, useFactory: (db: PostgresDatabase) => new PostgresTokenSigningKeyRepository(db.pool), inject: [POSTGRES_DATABASE] },
      {
        provide: PostgresDeviceLockoutProjection,
        useFactory: (db: PostgresDatabase) => new PostgresDeviceLockoutProjection(db.pool),
        inject: [POSTGRES_DATABASE],
      },
      { provide: DEVICE_LOCKOUT_REPOSITORY, useExisting: PostgresDeviceLockoutProjection },
      {
        provide: EVENT_BUS,
        useFactory: (logger: Logger) => new InProcessEventBus((error, event) => logger.error({ err: error, eventId: event.eventId }, 'event subscriber failed')),
        inject: [SERVICE_LOGGER],
      },
      {
        provide: EVENT_STORE,
        // Failure records commit with the failures; a plain success still takes the one-statement path (appliesTo).
        useFactory: (db: PostgresDatabase, credentials: PostgresDeviceCredentialsProjection, lockouts: PostgresDeviceLockoutProjection, clock: Clock) =>
          new PostgresEventStore(db, [lockouts], clock, { conditions: credentials.conditionSource }),
        inject: [POSTGRES_DATABASE, PostgresDeviceCredentialsProjection, PostgresDeviceLockoutProjection, CLOCK],
      },
      {
        provide: RELAY,
        useFactory: (db: PostgresDatabase, bus: KafkaEventBus, logger: Logger) => serviceRelay(config, db, bus, 'challenge', logger),
        inject: [POSTGRES_DATABASE, SERVICE_KAFKA, SERVICE_LOGGER],
      },
      ChallengeLifecycle,
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
  };
}
