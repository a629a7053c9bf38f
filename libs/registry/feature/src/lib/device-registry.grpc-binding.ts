import type { GrpcServiceBinding } from '@m2m-trust/shared-grpc-server';
import type { DeviceRegistryHandlers } from '@m2m-trust/shared-proto';

import type { DeviceRegistryGrpcController } from './device-registry.grpc-controller';

/** m2m.v1.DeviceRegistry as any process serves it: the gateway, or the registry service itself. */
export const deviceRegistryBinding = (registry: DeviceRegistryGrpcController): GrpcServiceBinding => ({
  name: 'm2m.v1.DeviceRegistry',
  definition: (m2m) => m2m.m2m.v1.DeviceRegistry.service,
  handlers: (calls): DeviceRegistryHandlers => ({
    RegisterDevice: calls.unary('devices:write', (request, context) => registry.registerDevice(request, context)),
    GetDevice: calls.unary('devices:read', (request) => registry.getDevice(request)),
    ListDevices: calls.unary('devices:read', (request) => registry.listDevices(request)),
    RevokeDevice: calls.unary('devices:write', (request, context) => registry.revokeDevice(request, context)),
  }),
});
