import type { MigrationInterface, QueryRunner } from 'typeorm';

/** As the embedded store's DeviceLockoutDetails: the last failure, and an operator's lock (reason, open-ended). */
export class PostgresDeviceLockoutDetails1763700004110 implements MigrationInterface {
  readonly name = 'PostgresDeviceLockoutDetails1763700004110';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE device_lockouts
      ADD COLUMN last_failure_at text,
      ADD COLUMN last_failure_reason text,
      ADD COLUMN locked_indefinitely boolean NOT NULL DEFAULT false,
      ADD COLUMN lock_reason text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE device_lockouts DROP COLUMN lock_reason, DROP COLUMN locked_indefinitely, DROP COLUMN last_failure_reason, DROP COLUMN last_failure_at');
  }
}
