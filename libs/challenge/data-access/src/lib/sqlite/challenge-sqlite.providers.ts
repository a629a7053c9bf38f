import { SQLITE_DATABASE, type SqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';

import type { Provider } from '@nestjs/common';

import { DEVICE_CREDENTIALS_REPOSITORY } from '../device-credentials.repository';
import { DEVICE_LOCKOUT_REPOSITORY } from '../device-lockout.repository';
import { DeviceCredentials1763700000200 } from './device-credentials.migration';
import { DeviceLockoutDetails1763700004100 } from './device-lockout-details.migration';
import { DeviceLockouts1763700000600 } from './device-lockouts.migration';
import { SqliteDeviceCredentialsProjection } from './sqlite-device-credentials.projection';
import { SqliteDeviceLockoutProjection } from './sqlite-device-lockout.projection';

/** The challenge scope's tables in the embedded database. */
export const challengeSqliteMigrations = [DeviceCredentials1763700000200, DeviceLockouts1763700000600, DeviceLockoutDetails1763700004100];

/**
 * The device credentials and lockouts projections (for the event store to
 * keep inline) and the reads they serve, on SQLITE_DATABASE.
 */
export const challengeSqliteProviders = (): Provider[] => [
  { provide: SqliteDeviceCredentialsProjection, useFactory: (d: SqliteDatabase) => new SqliteDeviceCredentialsProjection(d.db), inject: [SQLITE_DATABASE] },
  { provide: SqliteDeviceLockoutProjection, useFactory: (d: SqliteDatabase) => new SqliteDeviceLockoutProjection(d.db), inject: [SQLITE_DATABASE] },
  { provide: DEVICE_CREDENTIALS_REPOSITORY, useExisting: SqliteDeviceCredentialsProjection },
  { provide: DEVICE_LOCKOUT_REPOSITORY, useExisting: SqliteDeviceLockoutProjection },
];
