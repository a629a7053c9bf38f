export * from './lib/token-key-schedule';
