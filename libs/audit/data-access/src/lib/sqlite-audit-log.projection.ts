import type Database from 'better-sqlite3';

import { AUDITED_EVENT_TYPES, toEpcisEvent } from '@m2m-trust/audit-domain';
import type { SqliteInlineProjection } from '@m2m-trust/shared-data-access';
import type { RecordedEvent } from '@m2m-trust/shared-events';

/**
 * Writes each audited domain event's EPCIS record in the transaction that
 * appends the domain event: no write without its audit record, and no record
 * of a write that did not happen. Idempotent by source event id.
 */
export class SqliteAuditLogProjection implements SqliteInlineProjection {
  readonly name = 'audit.log';
  readonly handles = AUDITED_EVENT_TYPES;
  private readonly insert;

  constructor(db: Database.Database) {
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
}
