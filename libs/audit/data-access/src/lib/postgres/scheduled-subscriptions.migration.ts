import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The PostgreSQL twin of ScheduledSubscriptions1763700000810: schedule, reportIfEmpty and the last run of a scheduled subscription. */
export class PostgresScheduledSubscriptions1763700001350 implements MigrationInterface {
  readonly name = 'PostgresScheduledSubscriptions1763700001350';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE epcis_query_subscriptions ADD COLUMN schedule text, ADD COLUMN report_if_empty boolean NOT NULL DEFAULT false, ADD COLUMN last_run_at text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE epcis_query_subscriptions DROP COLUMN last_run_at, DROP COLUMN report_if_empty, DROP COLUMN schedule');
  }
}
