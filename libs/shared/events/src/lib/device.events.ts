import type { Message } from '@m2m-trust/shared-domain';

export type DeviceStatus = 'active' | 'revoked';

export type DeviceRegistered = Message<
  'DeviceRegistered',
  {
    readonly deviceId: string;
    /** Raw 32-byte Ed25519 key, lowercase hex. */
    readonly publicKey: string;
    /** RFC 7638 JWK thumbprint of the key (base64url SHA-256). */
    readonly keyThumbprint: string;
    readonly label: string;
    readonly metadata: Readonly<Record<string, unknown>>;
    readonly registeredAt: string;
  }
>;

export type DeviceRevoked = Message<
  'DeviceRevoked',
  {
    readonly deviceId: string;
    readonly reason: string | null;
    readonly revokedAt: string;
  }
>;

export type DeviceEvent = DeviceRegistered | DeviceRevoked;
