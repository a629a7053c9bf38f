export * from './lib/sqlite/devices.migration';
export * from './lib/sqlite/registry-sqlite.providers';
export * from './lib/sqlite/sqlite-device.projection';
