import { type DynamicModule, Module, type Type } from '@nestjs/common';

import { DeviceController } from './device.controller';
import { DeviceService } from './device.service';
import { DeviceDirectory } from './device-directory';
import { DeviceRegistryGrpcController } from './device-registry.grpc-controller';

/** The registry where devices live: needs EVENT_STORE, DEVICE_READ_REPOSITORY and CLOCK from the composition root. */
@Module({
  controllers: [DeviceController],
  providers: [DeviceRegistryGrpcController, DeviceService, { provide: DeviceDirectory, useExisting: DeviceService }],
  exports: [DeviceRegistryGrpcController, DeviceService, DeviceDirectory],
})
export class RegistryModule {}

/** Nest merges a dynamic module with its class's static metadata, so the remote variant is a class of its own. */
@Module({})
export class RemoteRegistryModule {
  /** The same HTTP and gRPC surface in front of another implementation: a gateway's client of the registry service. */
  static using(directory: Type<DeviceDirectory>, imports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: RemoteRegistryModule,
      imports,
      controllers: [DeviceController],
      providers: [DeviceRegistryGrpcController, { provide: DeviceDirectory, useClass: directory }],
      exports: [DeviceRegistryGrpcController, DeviceDirectory],
    };
  }
}
