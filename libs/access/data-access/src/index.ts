export * from './lib/api-key.repository';
export * from './lib/api-keys.migration';
export * from './lib/postgres-api-key.projection';
export * from './lib/postgres-api-keys.migration';
export * from './lib/sqlite-api-key.projection';
