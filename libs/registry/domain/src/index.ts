export * from './lib/device.commands';
export * from './lib/device.decider';
export * from './lib/device.projection';
