export * from './lib/in-process-event-bus';
export * from './lib/sqlite-database';
export * from './lib/sqlite-event-store';
export type * from './lib/sqlite-inline-projection';
