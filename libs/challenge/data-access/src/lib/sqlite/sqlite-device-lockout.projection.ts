import { CLEAN_LOCKOUT, evolveLockout, type LockoutStanding } from '@m2m-trust/challenge-domain';
import type { SqliteInlineProjection } from '@m2m-trust/shared-data-access/sqlite';
import type { ChallengeEvent, RecordedEvent } from '@m2m-trust/shared-events';

import type Database from 'better-sqlite3';

import { type DeviceLockoutRepository, LOCKOUT_EVENT_TYPES } from '../device-lockout.repository';

interface Row {
  consecutive_failures: number;
  lock_number: number;
  locked_until: string | null;
}

/** Failure records, committed with the failures and locks themselves. */
export class SqliteDeviceLockoutProjection implements SqliteInlineProjection, DeviceLockoutRepository {
  readonly name = 'challenge.device-lockouts';
  readonly handles = LOCKOUT_EVENT_TYPES;
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      get: db.prepare<[string], Row>('SELECT consecutive_failures, lock_number, locked_until FROM device_lockouts WHERE device_id = ?'),
      put: db.prepare(
        `INSERT INTO device_lockouts (device_id, consecutive_failures, lock_number, locked_until) VALUES (?, ?, ?, ?)
         ON CONFLICT(device_id) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
           lock_number = excluded.lock_number, locked_until = excluded.locked_until`,
      ),
    };
  }

  apply(recorded: RecordedEvent): void {
    const event = recorded as RecordedEvent<ChallengeEvent>;
    // Most successes have nothing to clear: no write at all.
    if (event.type === 'DeviceAuthenticated' && !event.data.resetsLockout) return;
    const deviceId = event.data.deviceId;
    const next = evolveLockout(this.read(deviceId), event);
    this.s.put.run(deviceId, next.consecutiveFailures, next.lockNumber, next.lockedUntil);
  }

  async get(deviceId: string): Promise<LockoutStanding> {
    return this.read(deviceId);
  }

  private read(deviceId: string): LockoutStanding {
    const row = this.s.get.get(deviceId);
    return row ? { consecutiveFailures: row.consecutive_failures, lockNumber: row.lock_number, lockedUntil: row.locked_until } : CLEAN_LOCKOUT;
  }
}
