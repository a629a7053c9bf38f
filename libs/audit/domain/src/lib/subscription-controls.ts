import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { parseInstant, queryParameterError } from './event-query';

/** How a streaming subscription to a named query starts. */
export interface SubscriptionControls {
  /** Replay matching events recorded at or after this time before going live; absent: from now on. */
  readonly initialRecordTime?: string;
}

/** The binding's schedule controls and reportIfEmpty: meaningful only for scheduled subscriptions, which only webhooks offer here. */
const SCHEDULE_CONTROLS = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'reportIfEmpty'];
const PAGING = ['perPage', 'nextPageToken'];

export function subscriptionError(name: string, message: string): DomainError {
  return new DomainError(ErrorCode.SubscriptionControlsInvalid, `${name}: ${message}`, [{ path: name, message }]);
}

/** Whether the parameters of GET /queries/{name}/events ask for a subscription rather than a page. */
export function isSubscriptionRequest(params: Readonly<Record<string, string>>): boolean {
  return params['stream'] !== undefined;
}

/**
 * The controls of `GET /queries/{name}/events?stream=true`. The binding
 * subscribes there with `stream=true` (or a schedule) and an optional
 * `initialRecordTime`; anything about schedules or paging is a
 * SubscriptionControlsException, anything else a QueryParameterException
 * (the query itself is the stored one).
 */
export function parseSubscriptionControls(params: Readonly<Record<string, string>>): SubscriptionControls {
  let initialRecordTime: string | undefined;
  for (const [name, value] of Object.entries(params)) {
    if (name === 'stream') {
      if (value !== 'true') throw subscriptionError(name, 'must be true (a stream subscription); only webhook subscriptions are scheduled');
    } else if (name === 'initialRecordTime') {
      try {
        initialRecordTime = parseInstant(name, value);
      } catch (error) {
        throw subscriptionError(name, error instanceof DomainError ? (error.details[0]?.message ?? error.message) : 'is invalid');
      }
    } else if (SCHEDULE_CONTROLS.includes(name)) {
      throw subscriptionError(name, 'a WebSocket or SSE subscription is a stream (stream=true); schedule a webhook subscription instead');
    } else if (PAGING.includes(name)) {
      throw subscriptionError(name, 'a stream is not paged');
    } else {
      throw queryParameterError(name, 'is not a subscription control; the query is the stored one');
    }
  }
  return initialRecordTime === undefined ? {} : { initialRecordTime };
}

/** Parameters of a paged GET /queries/{name}/events: only paging; a lone subscription control asks for stream=true. */
export function assertPagingOnly(params: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(params)) {
    if (PAGING.includes(name)) continue;
    if (name === 'initialRecordTime' || SCHEDULE_CONTROLS.includes(name)) throw subscriptionError(name, 'applies to a subscription: add stream=true');
    throw queryParameterError(name, 'is not a parameter of a named query result; the query is the stored one');
  }
}
