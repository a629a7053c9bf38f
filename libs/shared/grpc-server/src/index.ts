export * from './lib/api-key-verification.grpc';
export * from './lib/grpc.server';
export * from './lib/grpc-call.adapter';
export * from './lib/internal-json-method';
export * from './lib/remote-api-key.verifier';
