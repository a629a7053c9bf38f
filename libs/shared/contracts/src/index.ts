export * from './lib/clock.port';
export * from './lib/decide-and-append';
export * from './lib/event-bus.port';
export * from './lib/event-store.port';
