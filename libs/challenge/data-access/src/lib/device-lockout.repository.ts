import type { LockoutStanding } from '@m2m-trust/challenge-domain';
import { type NewEvent, UnknownDeviceReason } from '@m2m-trust/shared-events';

/** Each device's failure record; a device never seen failing has the clean record. */
export interface DeviceLockoutRepository {
  get(deviceId: string): Promise<LockoutStanding>;
}

export const DEVICE_LOCKOUT_REPOSITORY = Symbol.for('m2m-trust.DeviceLockoutRepository');

/** The events that can change a failure record. */
export const LOCKOUT_EVENT_TYPES = ['DeviceAuthenticationFailed', 'DeviceLocked', 'DeviceUnlocked', 'DeviceAuthenticated'] as const;

/**
 * Whether an event changes a record: a success only when it clears one (so most successes write nothing), and never
 * a failure naming an unregistered device, so strangers cannot fill the table with made-up ids.
 */
export function changesLockoutRecord(event: NewEvent): boolean {
  if (event.type === 'DeviceAuthenticated') return event.data.resetsLockout === true;
  // A registered device's failures carry its key's thumbprint; an unknown one's have none (DEVICE_NOT_FOUND, or a
  // non-canonical signature, which is told as such whoever the device).
  if (event.type === 'DeviceAuthenticationFailed') return event.data.keyThumbprint !== null && event.data.reason !== UnknownDeviceReason.DeviceNotFound;
  return true;
}
