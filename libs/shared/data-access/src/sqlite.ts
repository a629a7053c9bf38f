export * from './lib/sqlite/sqlite-database';
export * from './lib/sqlite/sqlite-event-store';
export type * from './lib/sqlite/sqlite-inline-projection';
