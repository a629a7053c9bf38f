import type { MigrationInterface, QueryRunner } from 'typeorm';

import { ORDERED_BY_EVENT_TIME } from '../audit-query-order';

/**
 * Indexes for the EPCIS query binding at a million events and beyond: every
 * filterable column gets one, so a filtered first page reads a few index
 * pages instead of scanning the log. In SQLite a secondary index carries the
 * rowid (`seq`) as its last column, so `(reason)` serves "reason = ? ORDER BY
 * seq" and keyset paging without a sort, and `(event_type)` answers
 * /eventTypes with one probe per type. The columns most filtered on that
 * match many events also get a `(column, event_time)` twin, so "the latest
 * failures" (`EQ_disposition=non_conformant&orderBy=eventTime`) reads one
 * page of that index rather than sorting every failure.
 */
export class AuditQueryIndexes1763700000510 implements MigrationInterface {
  readonly name = 'AuditQueryIndexes1763700000510';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_event_type ON audit_events (event_type)');
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_action ON audit_events (action)');
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_disposition ON audit_events (disposition)');
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_biz_step_disposition ON audit_events (biz_step, disposition)');
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_reason ON audit_events (reason)');
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_challenge_id ON audit_events (challenge_id)');
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_key_thumbprint ON audit_events (key_thumbprint)');
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_actor ON audit_events (actor)');
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_request_id ON audit_events (request_id)');
    await q.query('CREATE INDEX IF NOT EXISTS audit_events_method ON audit_events (method)');
    for (const column of ORDERED_BY_EVENT_TIME) {
      await q.query(`CREATE INDEX IF NOT EXISTS audit_events_${column}_event_time ON audit_events (${column}, event_time)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const twins = ORDERED_BY_EVENT_TIME.map((column) => `${column}_event_time`);
    for (const name of ['event_type', 'action', 'disposition', 'biz_step_disposition', 'reason', 'challenge_id', 'key_thumbprint', 'actor', 'request_id', 'method', ...twins]) {
      await q.query(`DROP INDEX IF EXISTS audit_events_${name}`);
    }
  }
}
