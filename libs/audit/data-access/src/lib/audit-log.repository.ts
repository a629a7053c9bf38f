import type { EpcisObjectEvent, EventQuery } from '@m2m-trust/audit-domain';

export interface AuditPage {
  readonly events: readonly EpcisObjectEvent[];
  /** Sequence of the last event when more may follow. */
  readonly nextAfter: number | null;
}

export interface AuditLogRepository {
  query(query: EventQuery): Promise<AuditPage>;
}

export const AUDIT_LOG_REPOSITORY = Symbol.for('m2m-trust.AuditLogRepository');
