import { DEVICE_ID_PATTERN } from '@m2m-trust/shared-domain';
import { PlainTextString } from '@m2m-trust/shared-platform';

import { type Static, Type } from '@sinclair/typebox';

export const LockoutParamsSchema = Type.Object(
  { deviceId: Type.String({ pattern: DEVICE_ID_PATTERN, description: 'Device identifier' }) },
  { additionalProperties: false },
);
export type LockoutParams = Static<typeof LockoutParamsSchema>;

export const UnlockDeviceBodySchema = Type.Object(
  { reason: Type.Optional(PlainTextString({ maxLength: 500, description: 'Why the lock is lifted; recorded in the audit log' })) },
  { additionalProperties: false },
);
export type UnlockDeviceBody = Static<typeof UnlockDeviceBodySchema>;

export const LockoutResponseSchema = Type.Object({
  deviceId: Type.String(),
  locked: Type.Boolean({ description: 'Whether authentications are refused now' }),
  lockedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'End of the current lock; null when not locked' }),
  consecutiveFailures: Type.Unsafe<number>({ type: 'integer', minimum: 0, description: 'Counted failures since the last success, lock or unlock' }),
  lockNumber: Type.Unsafe<number>({ type: 'integer', minimum: 0, description: 'Locks since the last success or unlock: the next one lasts twice as long' }),
});
export type LockoutResponse = Static<typeof LockoutResponseSchema>;
