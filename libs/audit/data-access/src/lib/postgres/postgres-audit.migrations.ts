import type { PostgresMigration } from '@m2m-trust/shared-postgres';

import { PostgresAuditLog1763700001300 } from './audit-log.migration';
import { PostgresAuditQueryIndexes1763700001310 } from './audit-query-indexes.migration';
import { PostgresNamedQueries1763700001320 } from './named-query.migration';

/** The audit service's schema, in the order it is built. */
export const POSTGRES_AUDIT_MIGRATIONS: readonly PostgresMigration[] = [
  PostgresAuditLog1763700001300,
  PostgresAuditQueryIndexes1763700001310,
  PostgresNamedQueries1763700001320,
];
