export * from './lib/device.controller';
export * from './lib/device.dto';
export * from './lib/device.service';
export * from './lib/device-directory';
export * from './lib/device-registry.grpc-binding';
export * from './lib/device-registry.grpc-controller';
export * from './lib/registry.module';
