export * from './lib/sqlite/access-sqlite.providers';
export * from './lib/sqlite/api-keys.migration';
export * from './lib/sqlite/sqlite-api-key.projection';
