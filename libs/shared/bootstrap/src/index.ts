export * from './lib/start-service';
export * from './lib/distributed-infra';
