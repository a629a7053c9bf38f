import { type GrpcServiceBinding, internalJsonMethod } from '@m2m-trust/shared-grpc-server';

import type { handleUnaryCall, ServiceDefinition } from '@grpc/grpc-js';

/** What a gateway waits for after a registry change: the challenge service seeing the device at least as registered, or as revoked. */
export type DeviceStanding = 'registered' | 'revoked';

export interface AwaitDeviceRequest {
  readonly deviceId: string;
  readonly standing: DeviceStanding;
  readonly timeoutMs: number;
}

export interface AwaitDeviceResponse {
  /** False: the deadline passed first. */
  readonly reached: boolean;
}

/**
 * m2m.internal.v1.DevicePropagation: the read-your-writes barrier of the
 * distributed mode (docs/distributed.md). Internal, between a gateway and the
 * challenge service only, so it is not part of the public m2m.v1 protos; its
 * messages are JSON.
 */
export const DEVICE_PROPAGATION_SERVICE = {
  AwaitDevice: internalJsonMethod<AwaitDeviceRequest, AwaitDeviceResponse>('/m2m.internal.v1.DevicePropagation/AwaitDevice'),
} satisfies ServiceDefinition;

const MAX_WAIT_MS = 60_000;

/** Served by the challenge service: waits until its device credentials (shared by every instance) show the standing. */
export const devicePropagationBinding = (
  awaitDevice: (deviceId: string, standing: DeviceStanding, timeoutMs: number) => Promise<boolean>,
): GrpcServiceBinding => ({
  name: 'm2m.internal.v1.DevicePropagation',
  definition: () => DEVICE_PROPAGATION_SERVICE,
  handlers: (calls) => ({
    AwaitDevice: calls.unary('admin', async (request: AwaitDeviceRequest): Promise<AwaitDeviceResponse> => {
      const timeoutMs = Math.min(Math.max(Number(request.timeoutMs) || 0, 0), MAX_WAIT_MS);
      const standing: DeviceStanding = request.standing === 'revoked' ? 'revoked' : 'registered';
      return { reached: await awaitDevice(String(request.deviceId), standing, timeoutMs) };
    }) as handleUnaryCall<AwaitDeviceRequest, AwaitDeviceResponse>,
  }),
});
