import { SQLITE_DATABASE, type SqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';

import type { Provider } from '@nestjs/common';

import { AUDIT_CHAIN_STORE } from '../audit-chain.store';
import { AUDIT_LOG_REPOSITORY } from '../audit-log.repository';
import { NAMED_QUERY_REPOSITORY } from '../named-query.repository';
import { QUERY_SUBSCRIPTION_REPOSITORY } from '../query-subscription.repository';
import { type EmbeddedAuditLog, openEmbeddedAuditLog } from './embedded-audit-log';
import { NamedQueries1763700000520 } from './named-queries.migration';
import { QuerySubscriptions1763700000800 } from './query-subscriptions.migration';
import { ScheduledSubscriptions1763700000810 } from './scheduled-subscriptions.migration';
import { SqliteNamedQueryRepository } from './sqlite-named-query.repository';
import { SqliteQuerySubscriptionRepository } from './sqlite-query-subscription.repository';

/** The audit scope's tables in the embedded main database (named queries and their subscriptions); the log's own file migrates itself (openEmbeddedAuditLog). */
export const auditSqliteMigrations = [NamedQueries1763700000520, QuerySubscriptions1763700000800, ScheduledSubscriptions1763700000810];

/** The embedded audit log (its file, follower and writer thread), for the event store to feed, start and close. */
export const EMBEDDED_AUDIT_LOG = Symbol.for('m2m-trust.EmbeddedAuditLog');

export interface AuditSqliteOptions {
  /** Where the audit file lives, beside the main database. */
  readonly dataDir: string;
  readonly logger: Parameters<typeof openEmbeddedAuditLog>[2];
}

/** The embedded audit log (EMBEDDED_AUDIT_LOG), the log and chain reads, named queries and their subscriptions, on SQLITE_DATABASE. */
export const auditSqliteProviders = ({ dataDir, logger }: AuditSqliteOptions): Provider[] => [
  { provide: EMBEDDED_AUDIT_LOG, useFactory: (d: SqliteDatabase) => openEmbeddedAuditLog(dataDir, d, logger), inject: [SQLITE_DATABASE] },
  { provide: AUDIT_LOG_REPOSITORY, useFactory: (a: EmbeddedAuditLog) => a.reader, inject: [EMBEDDED_AUDIT_LOG] },
  { provide: AUDIT_CHAIN_STORE, useFactory: (a: EmbeddedAuditLog) => a.chain, inject: [EMBEDDED_AUDIT_LOG] },
  { provide: NAMED_QUERY_REPOSITORY, useFactory: (d: SqliteDatabase) => new SqliteNamedQueryRepository(d.db), inject: [SQLITE_DATABASE] },
  { provide: QUERY_SUBSCRIPTION_REPOSITORY, useFactory: (d: SqliteDatabase) => new SqliteQuerySubscriptionRepository(d.db), inject: [SQLITE_DATABASE] },
];
