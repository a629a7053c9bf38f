import { CLEAN_LOCKOUT, evolveLockout, type LockoutStanding } from '@m2m-trust/challenge-domain';
import type { ChallengeEvent, NewEvent, RecordedEvent } from '@m2m-trust/shared-events';
import type { PgExecutor, PostgresProjection } from '@m2m-trust/shared-postgres';

import { type DeviceLockoutRepository, LOCKOUT_EVENT_TYPES } from '../device-lockout.repository';

interface Row {
  consecutive_failures: number;
  lock_number: number;
  locked_until: string | null;
}

const toStanding = (row: Row | undefined): LockoutStanding =>
  row ? { consecutiveFailures: row.consecutive_failures, lockNumber: row.lock_number, lockedUntil: row.locked_until } : CLEAN_LOCKOUT;

/**
 * Failure records in the challenge service's schema, written in the append's
 * transaction. The row is locked while it is evolved, so two instances
 * counting failures of one device at once both count.
 */
export class PostgresDeviceLockoutProjection implements PostgresProjection, DeviceLockoutRepository {
  readonly name = 'challenge.device-lockouts';
  readonly handles = LOCKOUT_EVENT_TYPES;

  constructor(private readonly pool: PgExecutor) {}

  /** A success without a record to clear keeps the verify on the store's one-statement path. */
  appliesTo(event: NewEvent): boolean {
    return event.type !== 'DeviceAuthenticated' || event.data.resetsLockout === true;
  }

  async apply(tx: PgExecutor, recorded: RecordedEvent): Promise<void> {
    const event = recorded as RecordedEvent<ChallengeEvent>;
    if (!this.appliesTo(event)) return;
    const deviceId = event.data.deviceId;
    await tx.query('INSERT INTO device_lockouts (device_id, consecutive_failures, lock_number) VALUES ($1, 0, 0) ON CONFLICT (device_id) DO NOTHING', [deviceId]);
    const current = (
      await tx.query<Row>('SELECT consecutive_failures, lock_number, locked_until FROM device_lockouts WHERE device_id = $1 FOR UPDATE', [deviceId])
    ).rows[0];
    const next = evolveLockout(toStanding(current), event);
    await tx.query('UPDATE device_lockouts SET consecutive_failures = $2, lock_number = $3, locked_until = $4 WHERE device_id = $1', [
      deviceId,
      next.consecutiveFailures,
      next.lockNumber,
      next.lockedUntil,
    ]);
  }

  async get(deviceId: string): Promise<LockoutStanding> {
    const { rows } = await this.pool.query<Row>('SELECT consecutive_failures, lock_number, locked_until FROM device_lockouts WHERE device_id = $1', [deviceId]);
    return toStanding(rows[0]);
  }
}
