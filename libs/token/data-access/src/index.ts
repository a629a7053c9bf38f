export * from './lib/token-signing-keys.repository';
