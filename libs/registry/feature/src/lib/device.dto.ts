import { PUBLIC_KEY_FORMAT_HINT } from '@m2m-trust/registry-domain';
import { DEVICE_ID_PATTERN } from '@m2m-trust/shared-domain';
import { PlainTextString, VALIDATION_HINT } from '@m2m-trust/shared-platform';

import { type Static, Type } from '@sinclair/typebox';

export const DeviceIdParamsSchema = Type.Object(
  { deviceId: Type.String({ pattern: DEVICE_ID_PATTERN, description: 'Device identifier' }) },
  { additionalProperties: false },
);
export type DeviceIdParams = Static<typeof DeviceIdParamsSchema>;

export const RegisterDeviceBodySchema = Type.Object(
  {
    deviceId: Type.String({ pattern: DEVICE_ID_PATTERN, description: 'Unique id: a letter or digit, then up to 127 of [A-Za-z0-9._:-]' }),
    publicKey: Type.String({
      minLength: 43,
      maxLength: 64,
      description: 'Raw 32-byte Ed25519 public key: 64 hex characters or 43 unpadded base64url characters',
      examples: ['d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'],
      [VALIDATION_HINT]: PUBLIC_KEY_FORMAT_HINT,
    }),
    label: Type.Optional(PlainTextString({ maxLength: 200, description: 'Human-readable name' })),
    metadata: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 32, description: 'Free-form attributes, at most 32 keys' }),
    ),
  },
  { additionalProperties: false },
);
export type RegisterDeviceBody = Static<typeof RegisterDeviceBodySchema>;

export const RevokeDeviceBodySchema = Type.Object(
  { reason: Type.Optional(PlainTextString({ maxLength: 500, description: 'Why the device is revoked; recorded in the audit log' })) },
  { additionalProperties: false },
);
export type RevokeDeviceBody = Static<typeof RevokeDeviceBodySchema>;

export const ListDevicesQuerySchema = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('revoked')])),
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]\\d{0,2}|1000)$', description: 'Page size, 1 to 1000 (default 50)' })),
    cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type ListDevicesQuery = Static<typeof ListDevicesQuerySchema>;

export const DeviceResponseSchema = Type.Object({
  deviceId: Type.String(),
  publicKey: Type.String({ description: 'Lowercase hex' }),
  keyThumbprint: Type.String({ description: 'RFC 7638 JWK thumbprint (base64url SHA-256)' }),
  label: Type.String(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
  revocationReason: Type.Optional(Type.String()),
});
export type DeviceResponse = Static<typeof DeviceResponseSchema>;

export const DeviceListResponseSchema = Type.Object({
  items: Type.Array(DeviceResponseSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as cursor for the next page; null on the last page' }),
});
export type DeviceListResponse = Static<typeof DeviceListResponseSchema>;
