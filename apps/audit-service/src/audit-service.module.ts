import { AUDIT_CHAIN_STORE, AUDIT_LOG_REPOSITORY, NAMED_QUERY_REPOSITORY, QUERY_SUBSCRIPTION_REPOSITORY } from '@m2m-trust/audit-data-access';
import { auditPostgresMigrations, auditPostgresProviders, grantAuditServiceRole, PostgresAuditLogWriter } from '@m2m-trust/audit-data-access/postgres';
import { AUDITED_EVENT_TYPES } from '@m2m-trust/audit-domain';
import { auditBinding, AuditGrpcController, AuditModule } from '@m2m-trust/audit-feature';
import { serviceConsumer, serviceEventBus, ServiceGrpcModule, serviceInfrastructure, ServicePersistenceModule } from '@m2m-trust/shared-bootstrap';
import { EVENT_BUS } from '@m2m-trust/shared-contracts';
import { RemoteApiKeyVerifierModule } from '@m2m-trust/shared-grpc-server';
import { type AppConfig, HEALTH_CHECKS, PlatformModule, type PlatformOptions, requireDistributed } from '@m2m-trust/shared-platform';
import { POSTGRES_DATABASE } from '@m2m-trust/shared-postgres';
import { RateLimitModule } from '@m2m-trust/shared-rate-limit';

import { type DynamicModule, Module } from '@nestjs/common';
import { Pool } from 'pg';

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
      // The log, from every audited domain event on Kafka (idempotent by source event id, chained under a lock); then
      // live subscriptions hear of the new records.
      serviceConsumer({ types: AUDITED_EVENT_TYPES, inject: PostgresAuditLogWriter, apply: (writer: PostgresAuditLogWriter, tx, events) => writer.applyBatch(tx, events) }),
    ],
    exports: [POSTGRES_DATABASE, AUDIT_LOG_REPOSITORY, AUDIT_CHAIN_STORE, NAMED_QUERY_REPOSITORY, QUERY_SUBSCRIPTION_REPOSITORY, EVENT_BUS, HEALTH_CHECKS],
  });
}
