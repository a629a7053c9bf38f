export * from './lib/device-credentials.repository';
export * from './lib/device-lockout.repository';
