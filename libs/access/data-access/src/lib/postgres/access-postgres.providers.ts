import { POSTGRES_DATABASE, type PostgresDatabase } from '@m2m-trust/shared-postgres';

import type { Provider } from '@nestjs/common';

import { API_KEY_READ_REPOSITORY } from '../api-key.repository';
import { PostgresApiKeys1763700001700 } from './api-keys.migration';
import { PostgresApiKeyProjection } from './postgres-api-key.projection';

/** The API keys' table in a service's schema. */
export const accessPostgresMigrations = [PostgresApiKeys1763700001700];

/** The API keys projection (for the event store to keep inline) and the key reads it serves, on POSTGRES_DATABASE. */
export const accessPostgresProviders = (): Provider[] => [
  { provide: PostgresApiKeyProjection, useFactory: (db: PostgresDatabase) => new PostgresApiKeyProjection(db.pool), inject: [POSTGRES_DATABASE] },
  { provide: API_KEY_READ_REPOSITORY, useExisting: PostgresApiKeyProjection },
];
