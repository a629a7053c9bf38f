export * from './lib/grpc-call.adapter';
export * from './lib/grpc.server';
