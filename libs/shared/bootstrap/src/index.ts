export * from './lib/distributed-infra';
export * from './lib/service-modules';
export * from './lib/start-service';
