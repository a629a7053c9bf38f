export * from './lib/event-store.migration';
export * from './lib/outbox-relay';
export * from './lib/postgres-database';
export * from './lib/postgres-event-store';
export * from './lib/postgres-inline-projection';
