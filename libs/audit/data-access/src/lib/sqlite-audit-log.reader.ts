import type Database from 'better-sqlite3';

import type { EpcisObjectEvent, EventQuery } from '@m2m-trust/audit-domain';

import type { AuditLogRepository, AuditPage } from './audit-log.repository';

/** Extension fields that are also columns, so auditors can filter on them with an index-friendly query. */
const EXTENSION_COLUMNS = {
  reason: 'reason',
  challengeId: 'challenge_id',
  keyThumbprint: 'key_thumbprint',
  actor: 'actor',
  requestId: 'request_id',
  method: 'method',
} as const;

/** Reads of the audit log: EPCIS queries over indexed columns, in record order. */
export class SqliteAuditLogReader implements AuditLogRepository {
  private readonly statements = new Map<string, Database.Statement<unknown[], { document: string; seq: number }>>();

  constructor(private readonly db: Database.Database) {}

  async query(query: EventQuery): Promise<AuditPage> {
    const where: string[] = ['seq > ?'];
    const args: unknown[] = [query.after ?? 0];
    const anyOf = (column: string, values: readonly string[] | undefined): void => {
      if (!values) return;
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      args.push(...values);
    };
    anyOf('event_type', query.eventTypes);
    anyOf('action', query.actions);
    anyOf('biz_step', query.bizSteps);
    anyOf('disposition', query.dispositions);
    anyOf('epc', query.epcs);
    anyOf('event_id', query.eventIds);
    for (const [name, values] of Object.entries(query.extensions ?? {})) {
      anyOf(EXTENSION_COLUMNS[name as keyof typeof EXTENSION_COLUMNS], values);
    }
    const range = (column: string, op: string, value: string | undefined): void => {
      if (value === undefined) return;
      where.push(`${column} ${op} ?`);
      args.push(value);
    };
    range('event_time', '>=', query.geEventTime);
    range('event_time', '<', query.ltEventTime);
    range('record_time', '>=', query.geRecordTime);
    range('record_time', '<', query.ltRecordTime);
    const sql = `SELECT seq, document FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`;
    args.push(query.perPage + 1);
    let statement = this.statements.get(sql);
    if (!statement) {
      // Filters combine into a bounded but large set of shapes; keep the cache bounded too.
      if (this.statements.size >= 256) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    const rows = statement.all(...args);
    const page = rows.slice(0, query.perPage);
    return {
      events: page.map((row) => JSON.parse(row.document) as EpcisObjectEvent),
      nextAfter: rows.length > query.perPage ? (page[page.length - 1] as { seq: number }).seq : null,
    };
  }
}
