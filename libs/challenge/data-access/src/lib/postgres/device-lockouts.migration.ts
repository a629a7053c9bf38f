import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Consecutive failures and locks per device, shared by every challenge-service instance. */
export class PostgresDeviceLockouts1763700001600 implements MigrationInterface {
  readonly name = 'PostgresDeviceLockouts1763700001600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE device_lockouts (
      device_id text PRIMARY KEY,
      consecutive_failures integer NOT NULL,
      lock_number integer NOT NULL,
      locked_until text
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE device_lockouts');
  }
}
