export * from './lib/api-key.repository';
