import type { MigrationInterface, QueryRunner } from 'typeorm';

import { ORDERED_BY_EVENT_TIME } from '../audit-query-order';

/** Equality filters whose index also carries `seq`, so they page in record order without a sort. */
const FILTERED_IN_RECORD_ORDER = ['action', 'disposition', 'reason', 'challenge_id', 'key_thumbprint', 'actor', 'request_id', 'method'] as const;

/**
 * The PostgreSQL twin of AuditQueryIndexes1763700000510: the same indexes,
 * with the `seq` that SQLite appends implicitly written out. `(event_type)`
 * alone is enough: it answers /eventTypes with one probe per type, and as
 * every event is an ObjectEvent today, its deduplicated btree stays tiny.
 * Unlike SQLite, PostgreSQL keeps statistics, so the reader leaves the
 * choice between "sort the matches" and "walk an ordered index" to the planner.
 */
export class PostgresAuditQueryIndexes1763700001310 implements MigrationInterface {
  readonly name = 'PostgresAuditQueryIndexes1763700001310';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_event_type ON audit_events (event_type)');
    for (const column of FILTERED_IN_RECORD_ORDER) {
      await q.query(`CREATE INDEX IF NOT EXISTS audit_events_${column} ON audit_events (${column}, seq)`);
    }
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_biz_step_disposition ON audit_events (biz_step, disposition, seq)');
    for (const column of ORDERED_BY_EVENT_TIME) {
      await q.query(`CREATE INDEX IF NOT EXISTS audit_events_${column}_event_time ON audit_events (${column}, event_time, seq)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const twins = ORDERED_BY_EVENT_TIME.map((column) => `${column}_event_time`);
    for (const name of ['event_type', ...FILTERED_IN_RECORD_ORDER, 'biz_step_disposition', ...twins]) {
      await q.query(`DROP INDEX IF EXISTS audit_events_${name}`);
    }
  }
}
