import { CLEAN_LOCKOUT, evolveLockout, type LockoutStanding } from '@m2m-trust/challenge-domain';
import type { SqliteInlineProjection } from '@m2m-trust/shared-data-access/sqlite';
import type { ChallengeEvent, RecordedEvent } from '@m2m-trust/shared-events';

import type Database from 'better-sqlite3';

import { changesLockoutRecord, type DeviceLockoutRepository, LOCKOUT_EVENT_TYPES } from '../device-lockout.repository';

interface Row {
  consecutive_failures: number;
  last_failure_at: string | null;
  last_failure_reason: string | null;
  lock_number: number;
  locked_until: string | null;
  locked_indefinitely: number;
  lock_reason: string | null;
}

/** Failure records and operator locks, committed with the failures and locks themselves. */
export class SqliteDeviceLockoutProjection implements SqliteInlineProjection, DeviceLockoutRepository {
  readonly name = 'challenge.device-lockouts';
  readonly handles = LOCKOUT_EVENT_TYPES;
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      get: db.prepare<[string], Row>(
        `SELECT consecutive_failures, last_failure_at, last_failure_reason, lock_number, locked_until, locked_indefinitely, lock_reason
         FROM device_lockouts WHERE device_id = ?`,
      ),
      put: db.prepare(
        `INSERT INTO device_lockouts (device_id, consecutive_failures, last_failure_at, last_failure_reason, lock_number, locked_until, locked_indefinitely, lock_reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(device_id) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
           last_failure_at = excluded.last_failure_at, last_failure_reason = excluded.last_failure_reason,
           lock_number = excluded.lock_number, locked_until = excluded.locked_until,
           locked_indefinitely = excluded.locked_indefinitely, lock_reason = excluded.lock_reason`,
      ),
    };
  }

  apply(recorded: RecordedEvent): void {
    if (!changesLockoutRecord(recorded)) return;
    const event = recorded as RecordedEvent<ChallengeEvent>;
    const deviceId = event.data.deviceId;
    const next = evolveLockout(this.read(deviceId), event);
    this.s.put.run(
      deviceId,
      next.consecutiveFailures,
      next.lastFailureAt,
      next.lastFailureReason,
      next.lockNumber,
      next.lockedUntil,
      next.lockedIndefinitely ? 1 : 0,
      next.lockReason,
    );
  }

  async get(deviceId: string): Promise<LockoutStanding> {
    return this.read(deviceId);
  }

  private read(deviceId: string): LockoutStanding {
    const row = this.s.get.get(deviceId);
    if (!row) return CLEAN_LOCKOUT;
    return {
      consecutiveFailures: row.consecutive_failures,
      lastFailureAt: row.last_failure_at,
      lastFailureReason: row.last_failure_reason,
      lockNumber: row.lock_number,
      lockedUntil: row.locked_until,
      lockedIndefinitely: row.locked_indefinitely === 1,
      lockReason: row.lock_reason,
    };
  }
}
