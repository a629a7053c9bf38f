import { assertUnreachable } from '@m2m-trust/shared-domain';
import type { DeviceEvent, DeviceStatus, RecordedEvent } from '@m2m-trust/shared-events';

/** The device as operators see it: the read model behind GET /v1/devices. */
export interface DeviceView {
  readonly deviceId: string;
  readonly publicKey: string;
  readonly keyThumbprint: string;
  readonly label: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly status: DeviceStatus;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly revocationReason: string | null;
  /** Stream version the view reflects; replays of older events are ignored. */
  readonly version: number;
  /** Store position of the registration: the list's stable sort key. */
  readonly registeredPosition: number;
}

export const deviceProjectionHandles = ['DeviceRegistered', 'DeviceRevoked'] as const;

/** Idempotent by stream version: an event at or below the view's version changes nothing. */
export function evolveDeviceView(view: DeviceView | null, event: RecordedEvent<DeviceEvent>): DeviceView | null {
  if (view && event.streamVersion <= view.version) return view;
  switch (event.type) {
    case 'DeviceRegistered':
      return {
        deviceId: event.data.deviceId,
        publicKey: event.data.publicKey,
        keyThumbprint: event.data.keyThumbprint,
        label: event.data.label,
        metadata: event.data.metadata,
        status: 'active',
        createdAt: event.data.registeredAt,
        revokedAt: null,
        revocationReason: null,
        version: event.streamVersion,
        registeredPosition: event.position,
      };
    case 'DeviceRevoked':
      return view
        ? { ...view, status: 'revoked', revokedAt: event.data.revokedAt, revocationReason: event.data.reason, version: event.streamVersion }
        : null;
    default:
      return assertUnreachable(event);
  }
}
