import type { Message } from '@m2m-trust/shared-domain';

export type RegisterDevice = Message<
  'RegisterDevice',
  {
    readonly deviceId: string;
    /** As the caller sent it: hex or base64url; the decider checks it. */
    readonly publicKey: string;
    readonly label: string;
    readonly metadata: Readonly<Record<string, unknown>>;
    readonly now: string;
  }
>;

export type RevokeDevice = Message<
  'RevokeDevice',
  {
    readonly deviceId: string;
    readonly reason: string | null;
    readonly now: string;
  }
>;

export type DeviceCommand = RegisterDevice | RevokeDevice;
