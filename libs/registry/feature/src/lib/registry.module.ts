import { Module } from '@nestjs/common';

import { DeviceController } from './device.controller';
import { DeviceService } from './device.service';

/** Needs EVENT_STORE, DEVICE_READ_REPOSITORY and CLOCK from the composition root. */
@Module({
  controllers: [DeviceController],
  providers: [DeviceService],
  exports: [DeviceService],
})
export class RegistryModule {}
