import type { AuditLogRepository } from '@m2m-trust/audit-data-access';
import type { EpcisObjectEvent, EventFilter } from '@m2m-trust/audit-domain';

/** The query's start and a subscription's initialRecordTime together: events recorded at or after both. */
export const laterRecordTime = (filter: EventFilter, initialRecordTime: string): string =>
  filter.geRecordTime !== undefined && filter.geRecordTime > initialRecordTime ? filter.geRecordTime : initialRecordTime;

/**
 * Every record matching `filter`, recorded at or after `geRecordTime`, after
 * the log position `checkpoint`, read in pages of `perPage`; and the position
 * of the last one (null when there is none): what a scheduled report holds,
 * and where the next one starts.
 */
export async function matchingSince(
  log: AuditLogRepository,
  filter: EventFilter,
  geRecordTime: string,
  checkpoint: number,
  perPage: number,
): Promise<{ events: EpcisObjectEvent[]; upTo: number | null }> {
  const events: EpcisObjectEvent[] = [];
  let upTo: number | null = null;
  let after = checkpoint;
  for (;;) {
    const page = await log.query({ ...filter, geRecordTime, perPage, after: { seq: after } });
    const last = page.events[page.events.length - 1];
    if (last === undefined) return { events, upTo };
    events.push(...page.events);
    upTo = page.nextAfter?.seq ?? (await log.positionOf(last.eventID));
    if (upTo === null) throw new Error(`event ${last.eventID} has no position in the log`);
    if (page.nextAfter === null) return { events, upTo };
    after = upTo;
  }
}
