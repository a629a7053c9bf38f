import type { LockoutStanding } from '@m2m-trust/challenge-domain';

/** Each device's failure record; a device never seen failing has the clean record. */
export interface DeviceLockoutRepository {
  get(deviceId: string): Promise<LockoutStanding>;
}

export const DEVICE_LOCKOUT_REPOSITORY = Symbol.for('m2m-trust.DeviceLockoutRepository');

/** The events that can change a failure record. */
export const LOCKOUT_EVENT_TYPES = ['DeviceAuthenticationFailed', 'DeviceLocked', 'DeviceUnlocked', 'DeviceAuthenticated'] as const;
