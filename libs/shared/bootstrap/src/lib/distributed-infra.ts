import { EVENT_BUS, type EventBus } from '@m2m-trust/shared-contracts';
import type { DomainEventType, RecordedEvent } from '@m2m-trust/shared-events';
import { ensureTopics, KafkaEventBus } from '@m2m-trust/shared-messaging';
import { type AppConfig, createLogger, HEALTH_CHECKS, type HealthCheck, requireDistributed } from '@m2m-trust/shared-platform';
import { openPostgresDatabase, OutboxRelay, POSTGRES_DATABASE, type PostgresDatabase, type PostgresMigration } from '@m2m-trust/shared-postgres';

import type { InjectionToken, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit, Provider } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { Logger } from 'pino';

/** One logger for a service's infrastructure adapters (relay, Kafka client), at the configured level. */
export const infraLogger = (config: AppConfig, service: string): Logger => createLogger(config.logLevel, config.logFormat).child({ app: service });

/** The service's PostgreSQL schema (M2M_DATABASE_SCHEMA, default its own name), migrated. */
export function openServiceDatabase(config: AppConfig, service: string, defaultSchema: string, migrations: readonly PostgresMigration[]): Promise<PostgresDatabase> {
  const distributed = requireDistributed(config, ['databaseUrl', 'kafkaBrokers']);
  return openPostgresDatabase({
    url: distributed.databaseUrl.reveal(),
    ...(distributed.databaseMigrationUrl ? { migrationUrl: distributed.databaseMigrationUrl.reveal() } : {}),
    schema: distributed.databaseSchema ?? defaultSchema,
    migrations,
    applicationName: service,
    poolSize: 16,
  });
}

/**
 * The service's Kafka client. A consumer that meets an event it must refuse
 * stops for good (never skipping it); the process then exits so its
 * supervisor restarts it and an operator sees why.
 */
export function serviceBus(config: AppConfig, service: string, logger: Logger, groupId?: string): KafkaEventBus {
  const { kafkaBrokers, kafkaTopicPrefix } = requireDistributed(config, ['kafkaBrokers']);
  return new KafkaEventBus({
    brokers: kafkaBrokers,
    clientId: service,
    topicPrefix: kafkaTopicPrefix,
    // A member that died (kill -9) holds its partitions this long before the group moves on.
    sessionTimeoutMs: 10_000,
    ...(groupId ? { groupId: `${kafkaTopicPrefix}${groupId}` } : {}),
    logger,
    onFatal: (error) => {
      logger.fatal({ err: error }, 'event consumer stopped; exiting');
      process.exit(1);
    },
  });
}

/**
 * Starts consuming in the background: the service answers (its reads, its
 * commands, /health) while its consumer joins the group, which after a crash
 * waits out the dead member's session. A consumer that cannot start ends the process.
 */
export function startConsuming(bus: KafkaEventBus, logger: Logger): void {
  bus.start().catch((error: unknown) => {
    logger.fatal({ err: error }, 'event consumer could not start; exiting');
    process.exit(1);
  });
}

/** Creates the catalog's topics (under the configured prefix) if they are missing. */
export function ensureServiceTopics(config: AppConfig, logger: Logger): Promise<void> {
  const { kafkaBrokers, kafkaTopicPrefix } = requireDistributed(config, ['kafkaBrokers']);
  return ensureTopics(kafkaBrokers, { logger, topicPrefix: kafkaTopicPrefix });
}

/** The outbox relay of the service's schema, publishing through the bus. */
export function serviceRelay(config: AppConfig, database: PostgresDatabase, bus: KafkaEventBus, name: string, logger: Logger): OutboxRelay {
  const { databaseUrl } = requireDistributed(config, ['databaseUrl']);
  return new OutboxRelay({ url: databaseUrl.reveal(), schema: database.schema, name, bus, logger });
}

/** The service's Kafka client (a KafkaEventBus) and its infrastructure logger, as providers. */
export const SERVICE_KAFKA = Symbol.for('m2m-trust.ServiceKafka');
export const SERVICE_LOGGER = Symbol.for('m2m-trust.ServiceLogger');
const SERVICE_RELAY = Symbol('m2m-trust.ServiceRelay');

export interface ServiceInfrastructureOptions {
  /** The process's name: logs, PostgreSQL application_name, Kafka client id. */
  readonly service: string;
  /** Its schema unless M2M_DATABASE_SCHEMA says otherwise. */
  readonly schema: string;
  readonly migrations: readonly PostgresMigration[];
  /** Its consumer group, when it consumes (its handlers: serviceConsumer). */
  readonly groupId?: string;
  /** The name of its outbox relay's checkpoint, when it publishes its events through the outbox. */
  readonly relay?: string;
  /** Run once the schema is migrated, before anything uses it (the audit service's grants). */
  readonly afterMigrate?: (database: PostgresDatabase) => Promise<void>;
}

/**
 * Runs what serviceInfrastructure opened. Starts Kafka once every module has
 * subscribed (serviceConsumer subscribes at init): a consuming service joins
 * its group in the background (startConsuming), a producing one connects
 * first; then the relay starts. Stops in the order that leaves nothing writing
 * into what is closed: relay, Kafka, database.
 */
class ServiceLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly database: PostgresDatabase,
    private readonly kafka: KafkaEventBus,
    private readonly logger: Logger,
    private readonly relay: OutboxRelay | undefined,
    private readonly consumes: boolean,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.consumes) startConsuming(this.kafka, this.logger);
    else await this.kafka.start();
    this.relay?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.kafka.stop();
    await this.database.close();
  }
}

const SERVICE_LIFECYCLE = Symbol('m2m-trust.ServiceLifecycle');

/**
 * What every distributed service composes the same way: its migrated schema
 * (POSTGRES_DATABASE), its Kafka client with the catalog's topics in place
 * (SERVICE_KAFKA), its logger (SERVICE_LOGGER), its outbox relay when it has
 * one, readiness (HEALTH_CHECKS: the database answers), and their start and stop.
 */
export function serviceInfrastructure(config: AppConfig, options: ServiceInfrastructureOptions): Provider[] {
  requireDistributed(config, ['databaseUrl', 'kafkaBrokers']);
  const logger = infraLogger(config, options.service);
  const relay = options.relay;
  return [
    { provide: SERVICE_LOGGER, useValue: logger },
    {
      provide: POSTGRES_DATABASE,
      useFactory: async () => {
        const database = await openServiceDatabase(config, options.service, options.schema, options.migrations);
        await options.afterMigrate?.(database);
        return database;
      },
    },
    {
      provide: SERVICE_KAFKA,
      useFactory: async () => {
        await ensureServiceTopics(config, logger);
        return serviceBus(config, options.service, logger, options.groupId);
      },
    },
    {
      provide: HEALTH_CHECKS,
      useFactory: (database: PostgresDatabase): HealthCheck[] => [async () => void (await database.pool.query('SELECT 1'))],
      inject: [POSTGRES_DATABASE],
    },
    ...(relay === undefined
      ? []
      : [
          {
            provide: SERVICE_RELAY,
            useFactory: (database: PostgresDatabase, bus: KafkaEventBus) => serviceRelay(config, database, bus, relay, logger),
            inject: [POSTGRES_DATABASE, SERVICE_KAFKA],
          },
        ]),
    {
      provide: SERVICE_LIFECYCLE,
      useFactory: (database: PostgresDatabase, kafka: KafkaEventBus, relay: OutboxRelay | undefined) =>
        new ServiceLifecycle(database, kafka, logger, relay, options.groupId !== undefined),
      inject: [POSTGRES_DATABASE, SERVICE_KAFKA, { token: SERVICE_RELAY, optional: true }],
    },
  ];
}

export interface ServiceConsumerOptions<T> {
  /** The event types it applies. */
  readonly types: readonly DomainEventType[];
  /** What applies them (a projection, the audit writer). */
  readonly inject: InjectionToken;
  readonly apply: (applier: T, tx: PoolClient, events: readonly RecordedEvent[]) => Promise<unknown>;
}

/**
 * A service's Kafka consumer: each batch applied in one transaction, its
 * offsets committed only after it; then the process's own EVENT_BUS hears of
 * the batch (live subscriptions, key caches).
 */
export const serviceConsumer = <T>(options: ServiceConsumerOptions<T>): Provider => ({
  provide: Symbol('m2m-trust.ServiceConsumer'),
  useFactory: (database: PostgresDatabase, kafka: KafkaEventBus, local: EventBus, applier: T): OnModuleInit => ({
    onModuleInit: () => {
      kafka.subscribeBatch(options.types, async (events) => {
        await database.transaction((tx) => options.apply(applier, tx, events));
        await local.publish(events);
      });
    },
  }),
  inject: [POSTGRES_DATABASE, SERVICE_KAFKA, EVENT_BUS, options.inject],
});
