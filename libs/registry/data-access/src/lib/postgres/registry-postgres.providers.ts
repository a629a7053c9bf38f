import { POSTGRES_DATABASE, type PostgresDatabase } from '@m2m-trust/shared-postgres';

import type { Provider } from '@nestjs/common';

import { DEVICE_READ_REPOSITORY } from '../device.repository';
import { PostgresDevices1763700001100 } from './devices.migration';
import { PostgresDeviceProjection } from './postgres-device.projection';

/** The registry's tables in a service's schema. */
export const registryPostgresMigrations = [PostgresDevices1763700001100];

/** The devices projection (for the event store to keep inline) and the device reads it serves, on POSTGRES_DATABASE. */
export const registryPostgresProviders = (): Provider[] => [
  { provide: PostgresDeviceProjection, useFactory: (db: PostgresDatabase) => new PostgresDeviceProjection(db.pool), inject: [POSTGRES_DATABASE] },
  { provide: DEVICE_READ_REPOSITORY, useExisting: PostgresDeviceProjection },
];
