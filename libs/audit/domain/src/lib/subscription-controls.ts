import { DomainError } from '@m2m-trust/shared-domain';

import { parseInstant, queryParameterError } from './event-query';
import { parseQuerySchedule, type QuerySchedule, type QueryScheduleField } from './query-schedule';
import { subscriptionError } from './subscription-error';

export { subscriptionError } from './subscription-error';

/** How a subscription to a named query runs: a stream (no schedule), or a report at each query time of its schedule. */
export interface SubscriptionControls {
  /** A stream replays matching events recorded at or after this time before going live, a schedule's first report starts there; absent: from now on. */
  readonly initialRecordTime?: string;
  /** The query times of a scheduled subscription; absent: a stream. */
  readonly schedule?: QuerySchedule;
  /** A scheduled subscription reports an empty result too (default false). */
  readonly reportIfEmpty?: boolean;
}

/** The binding's QuerySchedule fields, each its own query string parameter of the handshake (`?minute=5&hour=1`). */
const SCHEDULE_FIELDS: readonly string[] = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] satisfies QueryScheduleField[];
const SCHEDULE_CONTROLS = [...SCHEDULE_FIELDS, 'reportIfEmpty'];
const PAGING = ['perPage', 'nextPageToken'];

/** Whether the parameters of GET /queries/{name}/events ask for a subscription (stream=true or a schedule) rather than a page. */
export function isSubscriptionRequest(params: Readonly<Record<string, string>>): boolean {
  return params['stream'] !== undefined || SCHEDULE_FIELDS.some((field) => params[field] !== undefined);
}

/**
 * The controls of a subscription on `GET /queries/{name}/events`. The binding
 * subscribes there with `stream=true` or a schedule (its fields as query
 * string parameters, never both), an optional `initialRecordTime` and, for a
 * schedule, `reportIfEmpty`; a bad control or paging is a
 * SubscriptionControlsException, anything else a QueryParameterException
 * (the query itself is the stored one).
 */
export function parseSubscriptionControls(params: Readonly<Record<string, string>>): SubscriptionControls {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (SCHEDULE_FIELDS.includes(name)) fields[name] = value;
    else if (!['stream', 'initialRecordTime', 'reportIfEmpty'].includes(name)) {
      if (PAGING.includes(name)) throw subscriptionError(name, 'a subscription is not paged');
      throw queryParameterError(name, 'is not a subscription control; the query is the stored one');
    }
  }
  const scheduled = Object.keys(fields).length > 0;
  const { stream, reportIfEmpty } = params;
  if (scheduled && stream !== undefined) throw subscriptionError('stream', 'a subscription has either a schedule or stream=true, not both');
  if (!scheduled && stream !== 'true') throw subscriptionError('stream', 'must be true (a stream subscription), or give a schedule');
  if (reportIfEmpty !== undefined && !scheduled) throw subscriptionError('reportIfEmpty', 'applies to a scheduled subscription only');
  if (reportIfEmpty !== undefined && reportIfEmpty !== 'true' && reportIfEmpty !== 'false') throw subscriptionError('reportIfEmpty', 'must be true or false');
  const controls: { -readonly [K in keyof SubscriptionControls]: SubscriptionControls[K] } = {};
  if (params['initialRecordTime'] !== undefined) controls.initialRecordTime = recordTime(params['initialRecordTime']);
  if (scheduled) {
    controls.schedule = parseQuerySchedule(fields).schedule;
    controls.reportIfEmpty = reportIfEmpty === 'true';
  }
  return controls;
}

function recordTime(value: string): string {
  try {
    return parseInstant('initialRecordTime', value);
  } catch (error) {
    throw subscriptionError('initialRecordTime', error instanceof DomainError ? (error.details[0]?.message ?? error.message) : 'is invalid');
  }
}

/** Parameters of a paged GET /queries/{name}/events: only paging; a lone subscription control asks for stream=true. */
export function assertPagingOnly(params: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(params)) {
    if (PAGING.includes(name)) continue;
    if (name === 'initialRecordTime' || SCHEDULE_CONTROLS.includes(name)) throw subscriptionError(name, 'applies to a subscription: add stream=true or a schedule');
    throw queryParameterError(name, 'is not a parameter of a named query result; the query is the stored one');
  }
}
