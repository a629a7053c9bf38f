import type Database from 'better-sqlite3';

import { AUDITED_EVENT_TYPES, GENESIS_HASH, toEpcisEvent } from '@m2m-trust/audit-domain';
import type { SqliteInlineProjection } from '@m2m-trust/shared-data-access';
import type { RecordedEvent } from '@m2m-trust/shared-events';

import { auditRecordRow } from './audit-record-row';

/**
 * Writes each audited domain event's EPCIS record in the transaction that
 * appends the domain event: no write without its audit record, and no record
 * of a write that did not happen. Idempotent by source event id.
 */
export class SqliteAuditLogProjection implements SqliteInlineProjection {
  readonly name = 'audit.log';
  readonly handles = AUDITED_EVENT_TYPES;
  private readonly insert;
  private readonly head;
  private readonly seen;

  constructor(db: Database.Database) {
    this.insert = db.prepare(`INSERT INTO audit_events (seq, prev_hash, hash, event_id, source_event_id, event_type, event_time, record_time,
        action, biz_step, disposition, epc, reason, challenge_id, key_thumbprint, actor, request_id, method, document)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.head = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
    this.seen = db.prepare<[string], { seq: number }>('SELECT seq FROM audit_events WHERE source_event_id = ?');
  }

  apply(event: RecordedEvent): void {
    const e = toEpcisEvent(event);
    if (!e || this.seen.get(event.eventId)) return;
    // Read inside the append's transaction (the single writer): the chain head
    // as committed plus this batch's earlier records, never a stale cache.
    const head = this.head.get();
    const seq = (head?.seq ?? 0) + 1;
    const prevHash = head?.hash ?? GENESIS_HASH;
    this.insert.run(...auditRecordRow(seq, prevHash, event.eventId, e));
  }
}
