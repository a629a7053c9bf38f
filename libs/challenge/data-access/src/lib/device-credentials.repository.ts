import type { DeviceStatus } from '@m2m-trust/shared-events';

export interface DeviceCredentials {
  readonly deviceId: string;
  /** Raw key, lowercase hex. */
  readonly publicKey: string;
  readonly keyThumbprint: string;
  readonly status: DeviceStatus;
  /** Version of the device's stream this reflects: verify appends are conditioned on it. */
  readonly version: number;
}

export interface DeviceCredentialsRepository {
  get(deviceId: string): Promise<DeviceCredentials | null>;
}

export const DEVICE_CREDENTIALS_REPOSITORY = Symbol.for('m2m-trust.DeviceCredentialsRepository');
