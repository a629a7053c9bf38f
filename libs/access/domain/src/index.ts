export * from './lib/api-key.commands';
export * from './lib/api-key.decider';
export * from './lib/api-key.format';
export * from './lib/api-key.projection';
