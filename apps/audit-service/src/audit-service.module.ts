import { AUDIT_CHAIN_STORE, AUDIT_LOG_REPOSITORY, NAMED_QUERY_REPOSITORY } from '@m2m-trust/audit-data-access';
import { auditPostgresMigrations, auditPostgresProviders, grantAuditServiceRole, PostgresAuditLogWriter } from '@m2m-trust/audit-data-access/postgres';
import { AUDITED_EVENT_TYPES } from '@m2m-trust/audit-domain';
import { auditBinding, AuditGrpcController, AuditModule } from '@m2m-trust/audit-feature';
import {
  SERVICE_KAFKA,
  SERVICE_LOGGER,
  serviceEventBus,
  ServiceGrpcModule,
  serviceInfrastructure,
  ServicePersistenceModule,
  startConsuming,
} from '@m2m-trust/shared-bootstrap';
import { EVENT_BUS, type EventBus } from '@m2m-trust/shared-contracts';
import { RemoteApiKeyVerifierModule } from '@m2m-trust/shared-grpc-server';
import type { KafkaEventBus } from '@m2m-trust/shared-messaging';
import { type AppConfig, HEALTH_CHECKS, PlatformModule, type PlatformOptions, requireDistributed } from '@m2m-trust/shared-platform';
import { POSTGRES_DATABASE, type PostgresDatabase } from '@m2m-trust/shared-postgres';
import { RateLimitModule } from '@m2m-trust/shared-rate-limit';

import { type DynamicModule, Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { Pool } from 'pg';
import type { Logger } from 'pino';

/**
 * Writes the audit log from every audited domain event on Kafka: a batch per
 * transaction (idempotent by source event id, chained under a lock), offsets
 * committed only after it; then live subscriptions hear of the new records.
 */
class AuditLifecycle implements OnApplicationBootstrap {
  constructor(
    @Inject(POSTGRES_DATABASE) private readonly database: PostgresDatabase,
    @Inject(SERVICE_KAFKA) private readonly kafka: KafkaEventBus,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Inject(EVENT_BUS) private readonly local: EventBus,
    private readonly writer: PostgresAuditLogWriter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.kafka.subscribeBatch(AUDITED_EVENT_TYPES, async (events) => {
      await this.database.transaction((tx) => this.writer.applyBatch(tx, events));
      await this.local.publish(events);
    });
    startConsuming(this.kafka, this.logger);
  }
}

/**
 * The audit service: the EPCIS 2.0 repository of every registration,
 * authentication and revocation, in its own PostgreSQL schema, fed from
 * Kafka. Serves /epcis/* over HTTP (the gateway passes it through) and m2m.v1.Audit.
 */
@Module({})
export class AuditServiceModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    requireDistributed(options.config, ['databaseUrl', 'kafkaBrokers', 'registryGrpcUrl']);
    return {
      module: AuditServiceModule,
      imports: [
        PlatformModule.forRoot(options),
        // The gateway passes /epcis/* through before its own routes, unauthenticated: the per-API-key limit of those
        // requests is counted here, once the key is checked. In memory: this role may only read and append its schema.
        RateLimitModule.forRoot(options, { store: { kind: 'memory' }, enforce: ['http'] }),
        persistence(options),
        // API keys other than the admin key are the registry's to check (docs/api-keys.md).
        RemoteApiKeyVerifierModule,
        ServiceGrpcModule.forRoot({ imports: [AuditModule], inject: [AuditGrpcController], bindings: (audit: AuditGrpcController) => [auditBinding(audit)] }),
      ],
    };
  }
}

/**
 * When migrations run as the schema owner (M2M_DATABASE_MIGRATION_URL), the
 * service's own role (the user of M2M_DATABASE_URL) is granted only reading
 * and appending the log: it cannot UPDATE, DELETE or TRUNCATE it.
 */
async function grantServiceRole(config: AppConfig, schema: string): Promise<void> {
  const { databaseUrl, databaseMigrationUrl } = config.distributed;
  if (!databaseUrl || !databaseMigrationUrl) return;
  const role = decodeURIComponent(new URL(databaseUrl.reveal()).username);
  if (role === decodeURIComponent(new URL(databaseMigrationUrl.reveal()).username)) return;
  const owner = new Pool({ connectionString: databaseMigrationUrl.reveal(), max: 1, application_name: 'audit-service:grants' });
  try {
    await grantAuditServiceRole(owner, { schema, role });
  } finally {
    await owner.end();
  }
}

/** PostgreSQL (schema "audit"): the chained log, checkpoints and named queries; Kafka in. */
function persistence(options: PlatformOptions): DynamicModule {
  const { config } = options;
  return ServicePersistenceModule.forRoot({
    providers: [
      ...serviceInfrastructure(config, {
        service: 'audit-service',
        schema: 'audit',
        migrations: auditPostgresMigrations,
        groupId: 'audit-service',
        afterMigrate: (database) => grantServiceRole(config, database.schema),
      }),
      ...auditPostgresProviders(),
      serviceEventBus(),
      AuditLifecycle,
    ],
    exports: [POSTGRES_DATABASE, AUDIT_LOG_REPOSITORY, AUDIT_CHAIN_STORE, NAMED_QUERY_REPOSITORY, EVENT_BUS, HEALTH_CHECKS],
  });
}
