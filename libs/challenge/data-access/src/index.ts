export * from './lib/device-credentials.migration';
export * from './lib/device-credentials.repository';
export * from './lib/sqlite-device-credentials.projection';
export * from './lib/postgres-device-credentials.migration';
export * from './lib/postgres-device-credentials.projection';
