import { POSTGRES_DATABASE, type PostgresDatabase } from '@m2m-trust/shared-postgres';

import type { Provider } from '@nestjs/common';

import { DEVICE_CREDENTIALS_REPOSITORY } from '../device-credentials.repository';
import { DEVICE_LOCKOUT_REPOSITORY } from '../device-lockout.repository';
import { PostgresDeviceCredentials1763700001200 } from './device-credentials.migration';
import { PostgresDeviceLockoutDetails1763700004110 } from './device-lockout-details.migration';
import { PostgresDeviceLockouts1763700001600 } from './device-lockouts.migration';
import { PostgresDeviceCredentialsProjection } from './postgres-device-credentials.projection';
import { PostgresDeviceLockoutProjection } from './postgres-device-lockout.projection';

/** The challenge scope's tables in a service's schema. */
export const challengePostgresMigrations = [PostgresDeviceCredentials1763700001200, PostgresDeviceLockouts1763700001600, PostgresDeviceLockoutDetails1763700004110];

/**
 * The device credentials and lockouts projections and the reads they serve,
 * on POSTGRES_DATABASE.
 */
export const challengePostgresProviders = (): Provider[] => [
  { provide: PostgresDeviceCredentialsProjection, useFactory: (db: PostgresDatabase) => new PostgresDeviceCredentialsProjection(db.pool), inject: [POSTGRES_DATABASE] },
  { provide: PostgresDeviceLockoutProjection, useFactory: (db: PostgresDatabase) => new PostgresDeviceLockoutProjection(db.pool), inject: [POSTGRES_DATABASE] },
  { provide: DEVICE_CREDENTIALS_REPOSITORY, useExisting: PostgresDeviceCredentialsProjection },
  { provide: DEVICE_LOCKOUT_REPOSITORY, useExisting: PostgresDeviceLockoutProjection },
];
