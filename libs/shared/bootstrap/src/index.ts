export * from './lib/distributed-infra';
export * from './lib/start-service';
