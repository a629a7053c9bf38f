import type { EpcisObjectEvent, EventQuery, PageCursor } from '@m2m-trust/audit-domain';

import type { VocabularyField } from './audit-vocabulary';

export interface AuditPage {
  readonly events: readonly EpcisObjectEvent[];
  /** Where the page ended when more may follow; null on the last page (or once a count limit is spent). */
  readonly nextAfter: PageCursor | null;
}

export interface AuditLogRepository {
  /**
   * One page of a query, in its order, continuing after `query.after`.
   * Raises QueryTooLargeException on a first page when more than
   * `maxEventCount` events match.
   */
  query(query: EventQuery): Promise<AuditPage>;
  /** One event by its event hash ID. */
  findByEventId(eventId: string): Promise<EpcisObjectEvent | null>;
  /** The record sequence of an event, where a subscription resumes after it. */
  positionOf(eventId: string): Promise<number | null>;
  /** The EPCIS event types the log holds at least one event of. */
  eventTypes(): Promise<readonly string[]>;
  /** Up to `limit` distinct values of a field the log holds, in byte order, each greater than `after` (null: from the first). */
  distinctValues(field: VocabularyField, after: string | null, limit: number): Promise<readonly string[]>;
  /** Whether at least one event has this value of the field. */
  holdsValue(field: VocabularyField, value: string): Promise<boolean>;
}

export const AUDIT_LOG_REPOSITORY = Symbol.for('m2m-trust.AuditLogRepository');
