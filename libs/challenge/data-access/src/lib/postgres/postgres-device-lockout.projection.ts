import { CLEAN_LOCKOUT, evolveLockout, type LockoutStanding } from '@m2m-trust/challenge-domain';
import type { ChallengeEvent, NewEvent, RecordedEvent } from '@m2m-trust/shared-events';
import type { PgExecutor, PostgresProjection } from '@m2m-trust/shared-postgres';

import { changesLockoutRecord, type DeviceLockoutRepository, LOCKOUT_EVENT_TYPES } from '../device-lockout.repository';

interface Row {
  consecutive_failures: number;
  last_failure_at: string | null;
  last_failure_reason: string | null;
  lock_number: number;
  locked_until: string | null;
  locked_indefinitely: boolean;
  lock_reason: string | null;
}

const COLUMNS = 'consecutive_failures, last_failure_at, last_failure_reason, lock_number, locked_until, locked_indefinitely, lock_reason';

const toStanding = (row: Row | undefined): LockoutStanding =>
  row
    ? {
        consecutiveFailures: row.consecutive_failures,
        lastFailureAt: row.last_failure_at,
        lastFailureReason: row.last_failure_reason,
        lockNumber: row.lock_number,
        lockedUntil: row.locked_until,
        lockedIndefinitely: row.locked_indefinitely,
        lockReason: row.lock_reason,
      }
    : CLEAN_LOCKOUT;

/**
 * Failure records and operator locks in the challenge service's schema, written in the append's transaction. The row
 * is locked while it is evolved, so two instances recording failures of one device at once both count.
 */
export class PostgresDeviceLockoutProjection implements PostgresProjection, DeviceLockoutRepository {
  readonly name = 'challenge.device-lockouts';
  readonly handles = LOCKOUT_EVENT_TYPES;

  constructor(private readonly pool: PgExecutor) {}

  /** A success without a record to clear keeps the verify on the store's one-statement path. */
  appliesTo(event: NewEvent): boolean {
    return changesLockoutRecord(event);
  }

  async apply(tx: PgExecutor, recorded: RecordedEvent): Promise<void> {
    if (!this.appliesTo(recorded)) return;
    const event = recorded as RecordedEvent<ChallengeEvent>;
    const deviceId = event.data.deviceId;
    await tx.query('INSERT INTO device_lockouts (device_id, consecutive_failures, lock_number) VALUES ($1, 0, 0) ON CONFLICT (device_id) DO NOTHING', [deviceId]);
    const current = (await tx.query<Row>(`SELECT ${COLUMNS} FROM device_lockouts WHERE device_id = $1 FOR UPDATE`, [deviceId])).rows[0];
    const next = evolveLockout(toStanding(current), event);
    await tx.query(
      `UPDATE device_lockouts SET consecutive_failures = $2, last_failure_at = $3, last_failure_reason = $4, lock_number = $5, locked_until = $6,
         locked_indefinitely = $7, lock_reason = $8 WHERE device_id = $1`,
      [deviceId, next.consecutiveFailures, next.lastFailureAt, next.lastFailureReason, next.lockNumber, next.lockedUntil, next.lockedIndefinitely, next.lockReason],
    );
  }

  async get(deviceId: string): Promise<LockoutStanding> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM device_lockouts WHERE device_id = $1`, [deviceId]);
    return toStanding(rows[0]);
  }
}
