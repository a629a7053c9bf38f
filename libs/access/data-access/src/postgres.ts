export * from './lib/postgres/access-postgres.providers';
export * from './lib/postgres/api-keys.migration';
export * from './lib/postgres/postgres-api-key.projection';
