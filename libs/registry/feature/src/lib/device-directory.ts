import type { DeviceView } from '@m2m-trust/registry-domain';
import type { DeviceStatus, EventMetadata } from '@m2m-trust/shared-events';

export interface RegisterDeviceInput {
  readonly deviceId: string;
  readonly publicKey: string;
  readonly label?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface DeviceListPage {
  readonly items: readonly DeviceView[];
  readonly nextCursor: string | null;
}

/**
 * What the registry's transports (HTTP, gRPC) call: DeviceService in the
 * process that owns the devices, a client of the registry service in a
 * gateway of the distributed mode. The class is the injection token.
 */
export abstract class DeviceDirectory {
  abstract register(input: RegisterDeviceInput, metadata: EventMetadata): Promise<DeviceView>;
  abstract revoke(deviceId: string, reason: string | null, metadata: EventMetadata): Promise<DeviceView>;
  abstract get(deviceId: string): Promise<DeviceView>;
  abstract list(filter: { status?: DeviceStatus; limit: number; cursor?: string }): Promise<DeviceListPage>;
}
