export * from './lib/sqlite/challenge-sqlite.providers';
export * from './lib/sqlite/device-credentials.migration';
export * from './lib/sqlite/device-lockout-details.migration';
export * from './lib/sqlite/device-lockouts.migration';
export * from './lib/sqlite/sqlite-device-credentials.projection';
export * from './lib/sqlite/sqlite-device-lockout.projection';
