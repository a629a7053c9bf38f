export * from './lib/authentication.grpc-controller';
export * from './lib/challenge.controller';
export * from './lib/challenge.dto';
export * from './lib/challenge.module';
export * from './lib/challenge.service';
export * from './lib/authentication.grpc-binding';
export * from './lib/authenticator';
export * from './lib/device-propagation.grpc';
