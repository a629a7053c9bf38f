export * from './lib/device.commands';
export * from './lib/device.decider';
export * from './lib/device.projection';
export * from './lib/public-key-format';
