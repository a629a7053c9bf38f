import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The counters of rate-limiter-flexible's PostgreSQL store (its own column
 * layout), one row per limited key. UNLOGGED: a counter lost in a crash only
 * gives a client a fresh window, and skipping the WAL keeps the upsert that
 * every limited request makes cheap. The index serves the store's periodic
 * sweep of expired rows.
 */
export class RateLimits1763700003000 implements MigrationInterface {
  readonly name = 'RateLimits1763700003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE UNLOGGED TABLE rate_limits (key text PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)');
    await q.query('CREATE INDEX rate_limits_expire ON rate_limits (expire)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE rate_limits');
  }
}

/** The table the migration creates, as the store names it. */
export const RATE_LIMITS_TABLE = 'rate_limits';
