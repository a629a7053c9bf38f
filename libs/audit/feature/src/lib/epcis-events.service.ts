import { AUDIT_LOG_REPOSITORY, type AuditLogRepository } from '@m2m-trust/audit-data-access';
import { encodePageToken, type EpcisObjectEvent, type EventQuery } from '@m2m-trust/audit-domain';

import { Inject, Injectable } from '@nestjs/common';

export interface EventsPage {
  readonly events: readonly EpcisObjectEvent[];
  /** For the next page's Link; null on the last page. */
  readonly nextPageToken: string | null;
}

/** Runs one page of a query for every route that answers an EPCISQueryDocument. */
@Injectable()
export class EpcisEventsService {
  constructor(@Inject(AUDIT_LOG_REPOSITORY) private readonly log: AuditLogRepository) {}

  /** `fingerprint` is what the next page's token is bound to: the same query, and only it, may continue. */
  async page(query: EventQuery, fingerprint: string): Promise<EventsPage> {
    const page = await this.log.query(query);
    return { events: page.events, nextPageToken: page.nextAfter === null ? null : encodePageToken(page.nextAfter, fingerprint) };
  }
}
