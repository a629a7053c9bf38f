import { SQLITE_DATABASE, type SqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';

import type { Provider } from '@nestjs/common';

import { API_KEY_READ_REPOSITORY } from '../api-key.repository';
import { ApiKeys1763700000610 } from './api-keys.migration';
import { SqliteApiKeyProjection } from './sqlite-api-key.projection';

/** The API keys' table in the embedded database. */
export const accessSqliteMigrations = [ApiKeys1763700000610];

/** The API keys projection (for the event store to keep inline) and the key reads it serves, on SQLITE_DATABASE. */
export const accessSqliteProviders = (): Provider[] => [
  { provide: SqliteApiKeyProjection, useFactory: (d: SqliteDatabase) => new SqliteApiKeyProjection(d.db), inject: [SQLITE_DATABASE] },
  { provide: API_KEY_READ_REPOSITORY, useExisting: SqliteApiKeyProjection },
];
