export * from './lib/postgres/postgres-token-signing-keys.repository';
export * from './lib/postgres/token-postgres.providers';
export * from './lib/postgres/token-signing-keys.migration';
