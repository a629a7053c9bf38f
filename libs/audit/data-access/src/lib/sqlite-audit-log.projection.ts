import type Database from 'better-sqlite3';

import { AUDITED_EVENT_TYPES, type EpcisObjectEvent, type EventQuery, toEpcisEvent } from '@m2m-trust/audit-domain';
import type { SqliteInlineProjection } from '@m2m-trust/shared-data-access';
import type { RecordedEvent } from '@m2m-trust/shared-events';

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

/**
 * Writes each audited domain event's EPCIS record in the transaction that
 * appends the domain event: no write without its audit record, and no record
 * of a write that did not happen. Idempotent by source event id.
 */
export class SqliteAuditLogProjection implements SqliteInlineProjection, AuditLogRepository {
  readonly name = 'audit.log';
  readonly handles = AUDITED_EVENT_TYPES;
  private readonly insert;
  private readonly statements = new Map<string, Database.Statement<unknown[], { document: string; seq: number }>>();

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(`INSERT INTO audit_events (event_id, source_event_id, event_type, event_time, record_time, action, biz_step,
        disposition, epc, reason, challenge_id, key_thumbprint, actor, request_id, method, document)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source_event_id) DO NOTHING`);
  }

  apply(event: RecordedEvent): void {
    const e = toEpcisEvent(event);
    if (!e) return;
    this.insert.run(
      e.eventID,
      event.eventId,
      e.type,
      e.eventTime,
      e.recordTime,
      e.action,
      e.bizStep,
      e.disposition,
      e.epcList[0],
      e['m2m:reason'] ?? null,
      e['m2m:challengeId'] ?? null,
      e['m2m:keyThumbprint'] ?? null,
      e['m2m:actor'] ?? null,
      e['m2m:requestId'] ?? null,
      e['m2m:method'] ?? null,
      JSON.stringify(e),
    );
  }

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
