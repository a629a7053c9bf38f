export * from './lib/client-address';
export * from './lib/rate-limit.guard';
export * from './lib/rate-limit.module';
export * from './lib/rate-limited-by-address.decorator';
export * from './lib/rate-limited-grpc-calls';
export * from './lib/rate-limits';
export * from './lib/rate-limits.migration';
