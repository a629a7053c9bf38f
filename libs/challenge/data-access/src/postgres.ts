export * from './lib/postgres/challenge-postgres.providers';
export * from './lib/postgres/device-credentials.migration';
export * from './lib/postgres/device-lockout-details.migration';
export * from './lib/postgres/device-lockouts.migration';
export * from './lib/postgres/postgres-device-credentials.projection';
export * from './lib/postgres/postgres-device-lockout.projection';
