import type { DeviceStatus } from '@m2m-trust/shared-events';
import type { AuthenticatedRequest } from '@m2m-trust/shared-platform';

export type DeviceAuthenticationMethod = 'bearer' | 'http-signature';

/** How the device proved itself on this request. */
export type DeviceAuthentication =
  | { readonly method: 'bearer'; readonly tokenId: string; readonly expiresAt: string }
  | {
      readonly method: 'http-signature';
      readonly label: string;
      readonly keyId: string;
      /** ISO 8601, from the signature's `created`. */
      readonly created: string;
      readonly nonce: string | null;
      /** The covered component identifiers, serialized (`"@method"`, …). */
      readonly components: readonly string[];
    };

/** The device a DeviceAuthGuard authenticated; on `request.device`. */
export interface AuthenticatedDevice {
  readonly deviceId: string;
  readonly keyThumbprint: string;
  readonly status: DeviceStatus;
  readonly authentication: DeviceAuthentication;
}

export interface DeviceRequest extends AuthenticatedRequest {
  device?: AuthenticatedDevice;
}
