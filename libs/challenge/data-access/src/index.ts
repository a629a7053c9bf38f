export * from './lib/device-credentials.repository';
export * from './lib/device-lockout.repository';
// The token signing keys, both stores', until they move to a token scope of their own.
export * from './lib/postgres-token-signing-keys.migration';
export * from './lib/postgres-token-signing-keys.repository';
export * from './lib/sqlite-token-signing-keys.repository';
export * from './lib/token-signing-keys.migration';
export * from './lib/token-signing-keys.repository';
