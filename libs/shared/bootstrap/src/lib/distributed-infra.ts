import { ensureTopics, KafkaEventBus } from '@m2m-trust/shared-messaging';
import { type AppConfig, createLogger, HEALTH_CHECKS, type HealthCheck, requireDistributed } from '@m2m-trust/shared-platform';
import { openPostgresDatabase, OutboxRelay, POSTGRES_DATABASE, type PostgresDatabase, type PostgresMigration } from '@m2m-trust/shared-postgres';

import { Inject, type OnApplicationShutdown, Optional, type Provider } from '@nestjs/common';
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

/** The service's Kafka client (a KafkaEventBus), its infrastructure logger and its outbox relay, as providers. */
export const SERVICE_KAFKA = Symbol.for('m2m-trust.ServiceKafka');
export const SERVICE_LOGGER = Symbol.for('m2m-trust.ServiceLogger');
export const SERVICE_RELAY = Symbol.for('m2m-trust.ServiceRelay');

export interface ServiceInfrastructureOptions {
  /** The process's name: logs, PostgreSQL application_name, Kafka client id. */
  readonly service: string;
  /** Its schema unless M2M_DATABASE_SCHEMA says otherwise. */
  readonly schema: string;
  readonly migrations: readonly PostgresMigration[];
  /** Its consumer group, when it consumes. */
  readonly groupId?: string;
  /** The name of its outbox relay's checkpoint, when it publishes its events (SERVICE_RELAY; the service starts it). */
  readonly relay?: string;
  /** Run once the schema is migrated, before anything uses it (the audit service's grants). */
  readonly afterMigrate?: (database: PostgresDatabase) => Promise<void>;
}

/** Stops what serviceInfrastructure opened, in the order nothing is left writing into what is closed: relay, Kafka, database. */
class ServiceShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(POSTGRES_DATABASE) private readonly database: PostgresDatabase,
    @Inject(SERVICE_KAFKA) private readonly kafka: KafkaEventBus,
    @Optional() @Inject(SERVICE_RELAY) private readonly relay: OutboxRelay | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.kafka.stop();
    await this.database.close();
  }
}

/**
 * What every distributed service composes the same way: its migrated schema
 * (POSTGRES_DATABASE), its Kafka client with the catalog's topics in place
 * (SERVICE_KAFKA), its logger (SERVICE_LOGGER), its outbox relay when it has
 * one (SERVICE_RELAY), readiness (HEALTH_CHECKS: the database answers), and
 * their stop when the process ends.
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
    ServiceShutdown,
  ];
}
