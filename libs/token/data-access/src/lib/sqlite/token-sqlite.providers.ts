import { SQLITE_DATABASE, type SqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';

import type { Provider } from '@nestjs/common';

import { TOKEN_SIGNING_KEY_REPOSITORY } from '../token-signing-keys.repository';
import { SqliteTokenSigningKeyRepository } from './sqlite-token-signing-keys.repository';
import { TokenSigningKeys1763700000260 } from './token-signing-keys.migration';

/** The token scope's SQLite tables, in order. */
export const tokenSqliteMigrations = [TokenSigningKeys1763700000260];

/** The signing ring's repository on the process's SQLite database (SQLITE_DATABASE). */
export const tokenSqliteProviders = (): Provider[] => [
  { provide: TOKEN_SIGNING_KEY_REPOSITORY, useFactory: (d: SqliteDatabase) => new SqliteTokenSigningKeyRepository(d.db), inject: [SQLITE_DATABASE] },
];
