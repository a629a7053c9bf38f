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

export const LockDeviceBodySchema = Type.Object(
  {
    reason: PlainTextString({ minLength: 1, maxLength: 500, description: 'Why the device is locked; recorded in the audit log' }),
    until: Type.Optional(
      Type.String({ format: 'date-time', description: 'When the lock ends by itself (in the future); without it the lock holds until an operator unlocks the device' }),
    ),
  },
  { additionalProperties: false },
);
export type LockDeviceBody = Static<typeof LockDeviceBodySchema>;

const nullableTime = (description: string) => Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description });

export const LockoutResponseSchema = Type.Object({
  deviceId: Type.String(),
  locked: Type.Boolean({ description: 'Whether authentications are refused now (an operator lock is in force)' }),
  lockedUntil: nullableTime('End of the lock in force; null when not locked or locked until an operator unlocks the device'),
  lockReason: Type.Union([Type.String(), Type.Null()], { description: "The operator's reason for the lock in force; null when not locked" }),
  consecutiveFailures: Type.Unsafe<number>({
    type: 'integer',
    minimum: 0,
    description: 'Failed authentications recorded for the device since its last success or unlock (they lock nothing)',
  }),
  lastFailureAt: nullableTime('When the latest of those failures happened; null when there is none'),
  lastFailureReason: Type.Union([Type.String(), Type.Null()], { description: "The latest failure's reason (as in the audit log's m2m:reason); null when there is none" }),
  lockNumber: Type.Unsafe<number>({ type: 'integer', minimum: 0, description: 'Locks since the last success or unlock' }),
});
export type LockoutResponse = Static<typeof LockoutResponseSchema>;
