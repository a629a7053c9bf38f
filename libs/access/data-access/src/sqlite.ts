export * from './lib/sqlite/api-keys.migration';
export * from './lib/sqlite/sqlite-api-key.projection';
