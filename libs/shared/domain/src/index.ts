export * from './lib/decider';
export * from './lib/device-id';
export * from './lib/domain.error';
export * from './lib/error-code';
export * from './lib/plain-text';
