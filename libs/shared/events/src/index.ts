export * from './lib/access.events';
export * from './lib/challenge.events';
export * from './lib/device.events';
export * from './lib/domain-event';
export * from './lib/event-catalog';
