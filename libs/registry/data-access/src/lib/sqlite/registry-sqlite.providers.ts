import { SQLITE_DATABASE, type SqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';

import type { Provider } from '@nestjs/common';

import { DEVICE_READ_REPOSITORY } from '../device.repository';
import { Devices1763700000100 } from './devices.migration';
import { SqliteDeviceProjection } from './sqlite-device.projection';

/** The registry's tables in the embedded database. */
export const registrySqliteMigrations = [Devices1763700000100];

/** The devices projection (for the event store to keep inline) and the device reads it serves, on SQLITE_DATABASE. */
export const registrySqliteProviders = (): Provider[] => [
  { provide: SqliteDeviceProjection, useFactory: (d: SqliteDatabase) => new SqliteDeviceProjection(d.db), inject: [SQLITE_DATABASE] },
  { provide: DEVICE_READ_REPOSITORY, useExisting: SqliteDeviceProjection },
];
