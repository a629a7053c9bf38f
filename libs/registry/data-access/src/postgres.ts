export * from './lib/postgres/devices.migration';
export * from './lib/postgres/postgres-device.projection';
export * from './lib/postgres/registry-postgres.providers';
