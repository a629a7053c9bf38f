export * from './lib/audit-passthrough.grpc-binding';
export * from './lib/distributed-clients.module';
export * from './lib/remote-authenticator';
export * from './lib/remote-device-directory';
export * from './lib/service-clients';
