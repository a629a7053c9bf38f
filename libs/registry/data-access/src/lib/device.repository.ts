import type { DeviceView } from '@m2m-trust/registry-domain';
import type { DeviceStatus } from '@m2m-trust/shared-events';

export interface DevicePage {
  readonly items: readonly DeviceView[];
  /** Registration position of the last item when more may follow. */
  readonly nextAfter: number | null;
}

/** Reads of the device projection. */
export interface DeviceReadRepository {
  get(deviceId: string): Promise<DeviceView | null>;
  findByPublicKey(publicKey: string): Promise<DeviceView | null>;
  list(filter: { status?: DeviceStatus; after?: number; limit: number }): Promise<DevicePage>;
}

export const DEVICE_READ_REPOSITORY = Symbol.for('m2m-trust.DeviceReadRepository');
