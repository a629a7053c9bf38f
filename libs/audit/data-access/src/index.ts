export * from './lib/audit-log.migration';
export * from './lib/audit-log.repository';
export * from './lib/sqlite-audit-log.projection';
export * from './lib/sqlite-audit-log.reader';
