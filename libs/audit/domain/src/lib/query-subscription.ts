import { DomainError } from '@m2m-trust/shared-domain';

import { parseInstant } from './event-query';
import { parseQuerySchedule, type QueryScheduleSpec } from './query-schedule';
import { subscriptionError } from './subscription-controls';

/**
 * A webhook subscription to a named query (POST /queries/{name}/subscriptions),
 * as stored. The signature token is a secret: it stays here and in the store,
 * and {@link subscriptionView} leaves it out of every answer.
 */
export interface QuerySubscription {
  readonly subscriptionID: string;
  readonly queryName: string;
  /** The callback URL (http or https, no credentials in it). */
  readonly dest: string;
  /** The client's secret the deliveries are signed with (GS1-Signature); null: deliveries are unsigned. */
  readonly signatureToken: string | null;
  /** Events recorded at or after this instant are delivered (the binding's default: when the subscription was created). */
  readonly initialRecordTime: string;
  readonly createdAt: string;
  /** When the receiver last acknowledged a delivery (a 2xx). */
  readonly lastNotifiedAt: string | null;
  /** The audit record sequence up to which the receiver has acknowledged every matching event. */
  readonly checkpoint: number;
  /** A scheduled subscription's QuerySchedule as the client wrote it; null: a stream (each new matching event is delivered). */
  readonly schedule: QueryScheduleSpec | null;
  /** A scheduled subscription reports an empty result too. */
  readonly reportIfEmpty: boolean;
  /** When a scheduled subscription's query last ran (the next query time follows it; before the first run, createdAt). */
  readonly lastRunAt: string | null;
}

/** What a client asked for: a streaming or a scheduled webhook subscription. */
export interface QuerySubscriptionRequest {
  readonly dest: string;
  readonly signatureToken: string | null;
  readonly initialRecordTime: string | null;
  readonly schedule: QueryScheduleSpec | null;
  readonly reportIfEmpty: boolean;
}

/** Where deliveries may go: any http(s) host, or only the hosts an operator names. */
export interface DestinationPolicy {
  /** Lower-case host names or IP literals (IPv6 without brackets); null: any host. */
  readonly allowedHosts: readonly string[] | null;
}

/** The binding's subscription response: the stored subscription without its secret. */
export interface QuerySubscriptionView {
  readonly subscriptionID: string;
  readonly queryName: string;
  readonly dest: string;
  /** A stream: true; a scheduled subscription answers its schedule and reportIfEmpty instead. */
  readonly stream?: true;
  readonly schedule?: QueryScheduleSpec;
  readonly reportIfEmpty?: boolean;
  readonly initialRecordTime: string;
  readonly createdAt: string;
  readonly lastNotifiedAt?: string;
}

const FIELDS = new Set(['dest', 'signatureToken', 'stream', 'initialRecordTime', 'schedule', 'reportIfEmpty']);
const MAX_DEST_LENGTH = 2048;
const MAX_TOKEN_LENGTH = 1024;

export const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The host of a URL as a policy names it: lower case, IPv6 without brackets. */
export const destinationHost = (url: URL): string => url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');

/**
 * Checks a callback URL: http or https only (no file:, gopher: or other
 * schemes a fetch could be turned against), no user name or password in it
 * (they would end up in logs; the signature token authenticates the server),
 * and, when the operator restricts them, one of the allowed hosts. The URL
 * itself is never echoed in an error: it may carry a secret query string.
 */
export function checkDestination(raw: unknown, policy: DestinationPolicy): URL {
  if (typeof raw !== 'string' || raw.length === 0) throw subscriptionError('dest', 'is required: the http(s) URL events are posted to');
  if (raw.length > MAX_DEST_LENGTH) throw subscriptionError('dest', `must be at most ${MAX_DEST_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw subscriptionError('dest', 'must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw subscriptionError('dest', 'must be an http or https URL');
  if (url.username !== '' || url.password !== '') throw subscriptionError('dest', 'must not carry a user name or password; the signature token authenticates deliveries');
  if (policy.allowedHosts !== null && !policy.allowedHosts.includes(destinationHost(url))) {
    throw subscriptionError('dest', 'names a host this server does not deliver to (M2M_EPCIS_WEBHOOK_HOSTS)');
  }
  return url;
}

/**
 * A POST /queries/{name}/subscriptions body. The binding subscribes with
 * `stream: true` (each new matching event is delivered) or a `schedule` (the
 * query runs at each query time over what was recorded since its last run),
 * exactly one of them (EPCIS: both or neither is a
 * SubscriptionControlsException; `stream` must be explicit, so that nobody
 * subscribes to a stream by accident). `reportIfEmpty` applies to a schedule
 * only.
 */
export function parseSubscriptionRequest(body: unknown, policy: DestinationPolicy): QuerySubscriptionRequest {
  if (!isObject(body)) throw subscriptionError('/', 'the body must be a JSON object with dest and stream: true');
  for (const key of Object.keys(body)) if (!FIELDS.has(key)) throw subscriptionError(key, `is not a subscription field`);
  const scheduled = body['schedule'] !== undefined;
  if (scheduled && body['stream'] !== undefined) throw subscriptionError('stream', 'a subscription has either a schedule or stream: true, not both');
  if (!scheduled && body['stream'] !== true) throw subscriptionError('stream', 'must be true (each new matching event is delivered), or give a schedule');
  const reportIfEmpty = body['reportIfEmpty'];
  if (reportIfEmpty !== undefined && typeof reportIfEmpty !== 'boolean') throw subscriptionError('reportIfEmpty', 'must be true or false');
  if (reportIfEmpty !== undefined && !scheduled) throw subscriptionError('reportIfEmpty', 'applies to a scheduled subscription only');
  const schedule = scheduled ? parseQuerySchedule(body['schedule']).spec : null;
  const dest = checkDestination(body['dest'], policy).href;
  const token = body['signatureToken'];
  if (token !== undefined && (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)) {
    throw subscriptionError('signatureToken', `must be a string of 1 to ${MAX_TOKEN_LENGTH} characters`);
  }
  const initial = body['initialRecordTime'];
  let initialRecordTime: string | null = null;
  if (initial !== undefined) {
    try {
      if (typeof initial !== 'string') throw subscriptionError('initialRecordTime', 'must be a string');
      initialRecordTime = parseInstant('initialRecordTime', initial);
    } catch (error) {
      throw subscriptionError('initialRecordTime', error instanceof DomainError ? (error.details[0]?.message ?? error.message) : 'is invalid');
    }
  }
  return { dest, signatureToken: token ?? null, initialRecordTime, schedule, reportIfEmpty: reportIfEmpty === true };
}

/** What the binding answers about a subscription: everything but the secret. */
export function subscriptionView(s: QuerySubscription): QuerySubscriptionView {
  const view: QuerySubscriptionView = {
    subscriptionID: s.subscriptionID,
    queryName: s.queryName,
    dest: s.dest,
    ...(s.schedule === null ? { stream: true } : { schedule: s.schedule, reportIfEmpty: s.reportIfEmpty }),
    initialRecordTime: s.initialRecordTime,
    createdAt: s.createdAt,
  };
  return s.lastNotifiedAt === null ? view : { ...view, lastNotifiedAt: s.lastNotifiedAt };
}
