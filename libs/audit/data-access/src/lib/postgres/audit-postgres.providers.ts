import { POSTGRES_DATABASE, type PostgresDatabase, type PostgresMigration } from '@m2m-trust/shared-postgres';

import type { Provider } from '@nestjs/common';

import { AUDIT_CHAIN_STORE } from '../audit-chain.store';
import { AUDIT_LOG_REPOSITORY } from '../audit-log.repository';
import { NAMED_QUERY_REPOSITORY } from '../named-query.repository';
import { QUERY_SUBSCRIPTION_REPOSITORY } from '../query-subscription.repository';
import { PostgresAuditLog1763700001300 } from './audit-log.migration';
import { PostgresAuditQueryIndexes1763700001310 } from './audit-query-indexes.migration';
import { PostgresAuditTree1763700001360 } from './audit-tree.migration';
import { PostgresNamedQueries1763700001320 } from './named-queries.migration';
import { PostgresAuditChainStore } from './postgres-audit-chain.store';
import { PostgresAuditLogReader } from './postgres-audit-log.reader';
import { PostgresAuditLogWriter } from './postgres-audit-log.writer';
import { PostgresNamedQueryRepository } from './postgres-named-query.repository';
import { PostgresQuerySubscriptionRepository } from './postgres-query-subscription.repository';
import { PostgresQuerySubscriptions1763700001340 } from './query-subscriptions.migration';
import { PostgresScheduledSubscriptions1763700001350 } from './scheduled-subscriptions.migration';

/** The audit service's schema, in the order it is built. */
export const auditPostgresMigrations: readonly PostgresMigration[] = [
  PostgresAuditLog1763700001300,
  PostgresAuditQueryIndexes1763700001310,
  PostgresNamedQueries1763700001320,
  PostgresQuerySubscriptions1763700001340,
  PostgresScheduledSubscriptions1763700001350,
  PostgresAuditTree1763700001360,
];

/** The log's writer (for the consumer to apply batches with), the log and chain reads, named queries and their subscriptions, on POSTGRES_DATABASE. */
export const auditPostgresProviders = (): Provider[] => [
  PostgresAuditLogWriter,
  { provide: AUDIT_LOG_REPOSITORY, useFactory: (db: PostgresDatabase) => new PostgresAuditLogReader(db.pool), inject: [POSTGRES_DATABASE] },
  { provide: AUDIT_CHAIN_STORE, useFactory: (db: PostgresDatabase) => new PostgresAuditChainStore(db.pool), inject: [POSTGRES_DATABASE] },
  { provide: NAMED_QUERY_REPOSITORY, useFactory: (db: PostgresDatabase) => new PostgresNamedQueryRepository(db.pool), inject: [POSTGRES_DATABASE] },
  { provide: QUERY_SUBSCRIPTION_REPOSITORY, useFactory: (db: PostgresDatabase) => new PostgresQuerySubscriptionRepository(db.pool), inject: [POSTGRES_DATABASE] },
];
