import { Module } from '@nestjs/common';

import { DeviceController } from './device.controller';
import { DeviceRegistryGrpcController } from './device-registry.grpc-controller';
import { DeviceService } from './device.service';

/** Needs EVENT_STORE, DEVICE_READ_REPOSITORY and CLOCK from the composition root. */
@Module({
  controllers: [DeviceController],
  providers: [DeviceRegistryGrpcController, DeviceService],
  exports: [DeviceRegistryGrpcController, DeviceService],
})
export class RegistryModule {}
