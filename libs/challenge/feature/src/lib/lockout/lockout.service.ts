import { DEVICE_LOCKOUT_REPOSITORY, type DeviceLockoutRepository } from '@m2m-trust/challenge-data-access';
import { activeLock, lockDevice, type LockoutStanding, unlockDevice } from '@m2m-trust/challenge-domain';
import { CLOCK, type Clock, EVENT_STORE, type EventStore } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import type { ChallengeEvent, EventMetadata } from '@m2m-trust/shared-events';

import { Inject, Injectable } from '@nestjs/common';

import { DeviceCredentialsCache } from '../device-credentials.cache';
import type { LockoutResponse } from './lockout.dto';

/** The operator's side of lockouts: see a device's failure record, lock it by hand, lift the lock. */
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

  /** A new lock replaces the one in force (an operator may shorten, lengthen or end-date a lock this way). */
  async lock(deviceId: string, reason: string, until: string | null, metadata: EventMetadata): Promise<LockoutResponse> {
    await this.requireDevice(deviceId);
    const now = this.clock.now().toISOString();
    const normalisedUntil = until === null ? null : new Date(until).toISOString();
    await this.append(deviceId, lockDevice(deviceId, await this.lockouts.get(deviceId), reason, normalisedUntil, now), metadata);
    return this.view(deviceId, await this.lockouts.get(deviceId), now);
  }

  /** Idempotent: a device with nothing on record records nothing. */
  async unlock(deviceId: string, reason: string | null, metadata: EventMetadata): Promise<LockoutResponse> {
    await this.requireDevice(deviceId);
    const now = this.clock.now().toISOString();
    await this.append(deviceId, unlockDevice(deviceId, await this.lockouts.get(deviceId), reason, now), metadata);
    return this.view(deviceId, await this.lockouts.get(deviceId), now);
  }

  /** Its own stream: a record is folded from many challenge streams too, so any order of locks and unlocks is fine. */
  private async append(deviceId: string, events: readonly ChallengeEvent[], metadata: EventMetadata): Promise<void> {
    if (events.length > 0) await this.store.appendToStream(`lockout-${deviceId}`, 'any', events.map((event) => ({ ...event, metadata })));
  }

  private async requireDevice(deviceId: string): Promise<void> {
    if (!(await this.credentials.get(deviceId))) throw new DomainError(ErrorCode.DeviceNotFound, `Device ${deviceId} is not registered`);
  }

  private view(deviceId: string, standing: LockoutStanding, now: string): LockoutResponse {
    const lock = activeLock(standing, now);
    return {
      deviceId,
      locked: lock !== undefined,
      lockedUntil: lock?.until ?? null,
      lockReason: lock ? standing.lockReason : null,
      consecutiveFailures: standing.consecutiveFailures,
      lastFailureAt: standing.lastFailureAt,
      lastFailureReason: standing.lastFailureReason,
      lockNumber: standing.lockNumber,
    };
  }
}
