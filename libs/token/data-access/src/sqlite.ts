export * from './lib/sqlite/sqlite-token-signing-keys.repository';
export * from './lib/sqlite/token-signing-keys.migration';
export * from './lib/sqlite/token-sqlite.providers';
