export * from './lib/device.repository';
export * from './lib/devices.migration';
export * from './lib/postgres-device.projection';
export * from './lib/postgres-devices.migration';
export * from './lib/sqlite-device.projection';
