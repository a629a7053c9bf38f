import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled webhook subscriptions: the client's QuerySchedule (its field
 * strings as JSON; NULL for a stream), whether an empty result is reported,
 * and when the query last ran, from which the next query time follows.
 */
export class ScheduledSubscriptions1763700000810 implements MigrationInterface {
  readonly name = 'ScheduledSubscriptions1763700000810';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE epcis_query_subscriptions ADD COLUMN schedule TEXT');
    await q.query('ALTER TABLE epcis_query_subscriptions ADD COLUMN report_if_empty INTEGER NOT NULL DEFAULT 0');
    await q.query('ALTER TABLE epcis_query_subscriptions ADD COLUMN last_run_at TEXT');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE epcis_query_subscriptions DROP COLUMN last_run_at');
    await q.query('ALTER TABLE epcis_query_subscriptions DROP COLUMN report_if_empty');
    await q.query('ALTER TABLE epcis_query_subscriptions DROP COLUMN schedule');
  }
}
