export * from './lib/grpc-call.adapter';
export * from './lib/grpc.server';
export * from './lib/api-key-verification.grpc';
export * from './lib/remote-api-key.verifier';
export * from './lib/internal-json-method';
