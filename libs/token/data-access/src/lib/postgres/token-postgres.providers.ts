import { POSTGRES_DATABASE, type PostgresDatabase } from '@m2m-trust/shared-postgres';

import type { Provider } from '@nestjs/common';

import { TOKEN_SIGNING_KEY_REPOSITORY } from '../token-signing-keys.repository';
import { PostgresTokenSigningKeyRepository } from './postgres-token-signing-keys.repository';
import { PostgresTokenSigningKeys1763700001260 } from './token-signing-keys.migration';

/** The token scope's PostgreSQL tables, in order. */
export const tokenPostgresMigrations = [PostgresTokenSigningKeys1763700001260];

/** The signing ring's repository in the service's schema (POSTGRES_DATABASE), shared by every instance. */
export const tokenPostgresProviders = (): Provider[] => [
  { provide: TOKEN_SIGNING_KEY_REPOSITORY, useFactory: (db: PostgresDatabase) => new PostgresTokenSigningKeyRepository(db.pool), inject: [POSTGRES_DATABASE] },
];
