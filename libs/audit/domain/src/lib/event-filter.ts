import type { EpcisObjectEvent } from './epcis-mapping';
import type { EventFilter } from './event-query';

const anyOf = (values: readonly string[] | undefined, value: string | undefined): boolean =>
  values === undefined || (value !== undefined && values.includes(value));

/**
 * Whether an event satisfies a query's filters: the in-memory twin of the
 * reader's SQL, for events pushed to subscribers as they are committed.
 * Times compare as the stored UTC strings do (both come from toISOString), so
 * a pushed event matches exactly when a query would have returned it.
 */
export function matchesEventFilter(event: EpcisObjectEvent, filter: EventFilter): boolean {
  if (filter.unsatisfiable !== undefined && filter.unsatisfiable.length > 0) return false;
  if (!anyOf(filter.eventTypes, event.type)) return false;
  if (!anyOf(filter.actions, event.action)) return false;
  if (!anyOf(filter.bizSteps, event.bizStep)) return false;
  if (!anyOf(filter.dispositions, event.disposition)) return false;
  if (filter.epcs !== undefined && !event.epcList.some((epc) => filter.epcs?.includes(epc))) return false;
  if (!anyOf(filter.eventIds, event.eventID)) return false;
  if (filter.geEventTime !== undefined && !(event.eventTime >= filter.geEventTime)) return false;
  if (filter.ltEventTime !== undefined && !(event.eventTime < filter.ltEventTime)) return false;
  if (filter.geRecordTime !== undefined && !(event.recordTime >= filter.geRecordTime)) return false;
  if (filter.ltRecordTime !== undefined && !(event.recordTime < filter.ltRecordTime)) return false;
  for (const [name, values] of Object.entries(filter.extensions ?? {})) {
    if (!anyOf(values, event[`m2m:${name}`])) return false;
  }
  for (const name of filter.present ?? []) if (event[`m2m:${name}`] === undefined) return false;
  return true;
}

/** Every filter field, checked by the compiler: a filter added to EventFilter cannot be forgotten here. */
const FILTER_FIELDS: Readonly<Record<keyof EventFilter, true>> = {
  eventTypes: true,
  actions: true,
  bizSteps: true,
  dispositions: true,
  epcs: true,
  eventIds: true,
  geEventTime: true,
  ltEventTime: true,
  geRecordTime: true,
  ltRecordTime: true,
  extensions: true,
  present: true,
  unsatisfiable: true,
};

/** Only the filters of a query: what a subscription matches on (ordering and counts belong to one-shot results). */
export function filterOf(criteria: EventFilter): EventFilter {
  const filter: Record<string, unknown> = {};
  for (const key of Object.keys(FILTER_FIELDS) as (keyof EventFilter)[]) if (criteria[key] !== undefined) filter[key] = criteria[key];
  return filter as EventFilter;
}
