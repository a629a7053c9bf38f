import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What operators see of a device since failures no longer lock it (docs/abuse-limits.md): the last failure's time
 * and reason, and an operator's lock (its reason; open-ended when it has no end).
 */
export class DeviceLockoutDetails1763700004100 implements MigrationInterface {
  readonly name = 'DeviceLockoutDetails1763700004100';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE device_lockouts ADD COLUMN last_failure_at TEXT');
    await q.query('ALTER TABLE device_lockouts ADD COLUMN last_failure_reason TEXT');
    await q.query('ALTER TABLE device_lockouts ADD COLUMN locked_indefinitely INTEGER NOT NULL DEFAULT 0');
    await q.query('ALTER TABLE device_lockouts ADD COLUMN lock_reason TEXT');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const column of ['lock_reason', 'locked_indefinitely', 'last_failure_reason', 'last_failure_at']) await q.query(`ALTER TABLE device_lockouts DROP COLUMN ${column}`);
  }
}
