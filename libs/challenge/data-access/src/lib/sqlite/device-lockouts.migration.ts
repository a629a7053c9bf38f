import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Consecutive failures and locks per device (docs/abuse-limits.md); only devices that ever failed have a row. */
export class DeviceLockouts1763700000600 implements MigrationInterface {
  readonly name = 'DeviceLockouts1763700000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE device_lockouts (
      device_id TEXT PRIMARY KEY,
      consecutive_failures INTEGER NOT NULL,
      lock_number INTEGER NOT NULL,
      locked_until TEXT
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE device_lockouts');
  }
}
