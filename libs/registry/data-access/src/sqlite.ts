export * from './lib/sqlite/devices.migration';
export * from './lib/sqlite/sqlite-device.projection';
