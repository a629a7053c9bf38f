import { DEVICE_LOCKOUT_REPOSITORY, type DeviceLockoutRepository } from '@m2m-trust/challenge-data-access';
import { activeLockEnd, type LockoutStanding, unlockDevice } from '@m2m-trust/challenge-domain';
import { CLOCK, type Clock, EVENT_STORE, type EventStore } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import type { EventMetadata } from '@m2m-trust/shared-events';

import { Inject, Injectable } from '@nestjs/common';

import { DeviceCredentialsCache } from '../device-credentials.cache';
import type { LockoutResponse } from './lockout.dto';

/** The operator's side of lockouts: see a device's failure record, lift its lock. */
@Injectable()
export class LockoutService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DEVICE_LOCKOUT_REPOSITORY) private readonly lockouts: DeviceLockoutRepository,
    private readonly credentials: DeviceCredentialsCache,
  ) {}

  async get(deviceId: string): Promise<LockoutResponse> {
    await this.requireDevice(deviceId);
    return this.view(deviceId, await this.lockouts.get(deviceId), this.clock.now().toISOString());
  }

  /** Idempotent: a device with nothing on record records nothing. */
  async unlock(deviceId: string, reason: string | null, metadata: EventMetadata): Promise<LockoutResponse> {
    await this.requireDevice(deviceId);
    const now = this.clock.now().toISOString();
    const events = unlockDevice(deviceId, await this.lockouts.get(deviceId), reason, now);
    // Its own stream: a lock's record is folded from many challenge streams, so any order of unlocks is fine.
    if (events.length > 0) await this.store.appendToStream(`lockout-${deviceId}`, 'any', events.map((event) => ({ ...event, metadata })));
    return this.view(deviceId, await this.lockouts.get(deviceId), now);
  }

  private async requireDevice(deviceId: string): Promise<void> {
    if (!(await this.credentials.get(deviceId))) throw new DomainError(ErrorCode.DeviceNotFound, `Device ${deviceId} is not registered`);
  }

  private view(deviceId: string, standing: LockoutStanding, now: string): LockoutResponse {
    const end = activeLockEnd(standing, now);
    return { deviceId, locked: end !== null, lockedUntil: end, consecutiveFailures: standing.consecutiveFailures, lockNumber: standing.lockNumber };
  }
}
