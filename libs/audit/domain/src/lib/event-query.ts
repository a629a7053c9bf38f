import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { createHash } from 'node:crypto';

import { CBV_BIZSTEP_URI, CBV_DISPOSITION_URI, EPCIS_EVENT_TYPES, type EpcisAction, M2M_NAMESPACE, M2M_PREFIX } from './epcis-vocabulary';

/** Which events a query selects: the EPCIS SimpleEventQuery filters this repository supports. */
export interface EventFilter {
  readonly eventTypes?: readonly string[];
  readonly actions?: readonly EpcisAction[];
  readonly bizSteps?: readonly string[];
  readonly dispositions?: readonly string[];
  readonly epcs?: readonly string[];
  readonly eventIds?: readonly string[];
  readonly geEventTime?: string;
  readonly ltEventTime?: string;
  readonly geRecordTime?: string;
  readonly ltRecordTime?: string;
  /** Equality filters on the project's extension fields, by local name (`reason`, `challengeId`, ...). */
  readonly extensions?: Readonly<Record<string, readonly string[]>>;
}

export type OrderField = 'eventTime' | 'recordTime';
export type OrderDirection = 'ASC' | 'DESC';

/** A whole query without its paging: the filters plus the binding's ordering and count controls. */
export interface EventCriteria extends EventFilter {
  /** Absent: record order (the order events were committed in). */
  readonly orderBy?: OrderField;
  /** As given; {@link orderDirectionOf} applies the binding's defaults. */
  readonly orderDirection?: OrderDirection;
  /** At most this many events in the whole result, across pages. */
  readonly eventCountLimit?: number;
  /** More matching events than this is a QueryTooLargeException instead of a result. */
  readonly maxEventCount?: number;
}

/**
 * Where the previous page ended: the last event's sequence and, when ordered
 * by a field, that field's value (keyset paging on (key, seq)), plus how many
 * events the query may still return when it is count-limited.
 */
export interface PageCursor {
  readonly seq: number;
  readonly key?: string;
  readonly remaining?: number;
}

/** A validated EPCIS SimpleEventQuery over the audit log, one page of it. */
export interface EventQuery extends EventCriteria {
  readonly perPage: number;
  /** Exclusive: the page starts after this position. */
  readonly after?: PageCursor;
}

export const DEFAULT_PER_PAGE = 100;
export const MAX_PER_PAGE = 1000;
export const QUERYABLE_EXTENSIONS = ['reason', 'challengeId', 'keyThumbprint', 'actor', 'requestId', 'method'] as const;
export const ORDER_FIELDS: readonly OrderField[] = ['eventTime', 'recordTime'];

const ACTIONS: readonly EpcisAction[] = ['ADD', 'OBSERVE', 'DELETE'];
const BARE_WORD = /^[a-z_]+$/;
const URI = /^[a-z][a-z0-9+.-]*:\S+$/i;

/**
 * The binding's default direction is DESC when `orderBy` is given. Without
 * `orderBy` results are in record order, ascending unless `orderDirection`
 * reverses it (the binding leaves that case open; newest-first is what auditors ask for).
 */
export function orderDirectionOf(criteria: EventCriteria): OrderDirection {
  return criteria.orderDirection ?? (criteria.orderBy ? 'DESC' : 'ASC');
}

export function queryParameterError(name: string, message: string): DomainError {
  return new DomainError(ErrorCode.QueryParameterInvalid, `${name}: ${message}`, [{ path: name, message }]);
}
const invalid = queryParameterError;

/**
 * A parameter's value before interpretation: the URL form gives one string
 * with `|` between alternatives, a query body (query-schema.json) an array.
 */
export type RawParameter = string | readonly string[];

function list(name: string, raw: RawParameter): string[] {
  const values = typeof raw === 'string' ? raw.split('|') : [...raw];
  if (values.length === 0) throw invalid(name, 'give at least one value');
  if (values.some((v) => v.length === 0)) throw invalid(name, 'empty value in the list');
  return values;
}

function single(name: string, raw: RawParameter): string {
  if (typeof raw !== 'string') throw invalid(name, 'takes a single value');
  return raw;
}

/** An RFC 3339 date-time with a time zone, normalised to UTC as the log stores times. */
export function parseInstant(name: string, raw: RawParameter): string {
  const value = single(name, raw);
  // RFC 3339 with an explicit offset, as EPCIS dateTime values must carry one.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalid(name, 'must be an RFC 3339 date-time with a time zone, e.g. 2026-01-01T00:00:00Z');
  }
  return new Date(value).toISOString();
}

function count(name: string, raw: RawParameter): number {
  const value = single(name, raw);
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw invalid(name, 'must be a positive integer');
  return n;
}

/** A CBV term, bare or as its web-vocabulary URI (reduced to the bare word), or another URI. */
export function vocabularyTerm(name: string, value: string, uriBase: string): string {
  const bare = value.startsWith(uriBase) ? value.slice(uriBase.length) : value;
  if (!BARE_WORD.test(bare) && !URI.test(bare)) throw invalid(name, `${value} is neither a CBV term nor a URI`);
  return bare;
}

export const bizStepTerm = (name: string, value: string): string => vocabularyTerm(name, value, CBV_BIZSTEP_URI);

/** EPCs are URIs (the binding's `epc` is `format: uri`); devices are `urn:m2m-trust:device:<id>`. */
export function epcValue(name: string, value: string): string {
  if (!URI.test(value)) throw invalid(name, `${value} is not a URI`);
  return value;
}

/**
 * Interprets query parameters (not paging) in either form. Unknown names and
 * malformed values are a QueryParameterException, never ignored.
 */
export function parseEventCriteria(params: Readonly<Record<string, RawParameter>>): EventCriteria {
  const criteria: { -readonly [K in keyof EventCriteria]: EventCriteria[K] } = {};
  const extensions: Record<string, string[]> = {};
  for (const [name, raw] of Object.entries(params)) {
    switch (name) {
      case 'eventType': {
        const types = list(name, raw);
        const unknown = types.find((t) => !(EPCIS_EVENT_TYPES as readonly string[]).includes(t));
        if (unknown) throw invalid(name, `${unknown} is not an EPCIS event type`);
        criteria.eventTypes = types;
        break;
      }
      case 'EQ_action': {
        const actions = list(name, raw);
        const unknown = actions.find((a) => !(ACTIONS as readonly string[]).includes(a));
        if (unknown) throw invalid(name, `${unknown} is not ADD, OBSERVE or DELETE`);
        criteria.actions = actions as EpcisAction[];
        break;
      }
      case 'EQ_bizStep':
        criteria.bizSteps = list(name, raw).map((v) => vocabularyTerm(name, v, CBV_BIZSTEP_URI));
        break;
      case 'EQ_disposition':
        criteria.dispositions = list(name, raw).map((v) => vocabularyTerm(name, v, CBV_DISPOSITION_URI));
        break;
      case 'MATCH_epc':
      case 'MATCH_anyEPC':
        // Devices are the only EPCs and always the epcList: both parameters select the same events, so they add up.
        criteria.epcs = [...(criteria.epcs ?? []), ...list(name, raw).map((v) => epcValue(name, v))];
        break;
      case 'EQ_eventID':
        criteria.eventIds = list(name, raw);
        break;
      case 'GE_eventTime':
        criteria.geEventTime = parseInstant(name, raw);
        break;
      case 'LT_eventTime':
        criteria.ltEventTime = parseInstant(name, raw);
        break;
      case 'GE_recordTime':
        criteria.geRecordTime = parseInstant(name, raw);
        break;
      case 'LT_recordTime':
        criteria.ltRecordTime = parseInstant(name, raw);
        break;
      case 'orderBy': {
        const field = single(name, raw);
        if (!(ORDER_FIELDS as readonly string[]).includes(field)) throw invalid(name, 'must be eventTime or recordTime');
        criteria.orderBy = field as OrderField;
        break;
      }
      case 'orderDirection': {
        const direction = single(name, raw);
        if (direction !== 'ASC' && direction !== 'DESC') throw invalid(name, 'must be ASC or DESC');
        criteria.orderDirection = direction;
        break;
      }
      case 'eventCountLimit':
        criteria.eventCountLimit = count(name, raw);
        break;
      case 'maxEventCount':
        criteria.maxEventCount = count(name, raw);
        break;
      default: {
        const ext = extensionName(name);
        if (!ext) throw invalid(name, 'is not a query parameter this repository knows');
        extensions[ext] = list(name, raw);
      }
    }
  }
  if (criteria.eventCountLimit !== undefined && criteria.maxEventCount !== undefined) {
    throw invalid('eventCountLimit', 'and maxEventCount are mutually exclusive');
  }
  // The binding: "first N" only means something in a stated order.
  if (criteria.eventCountLimit !== undefined && criteria.orderBy === undefined) throw invalid('eventCountLimit', 'requires orderBy');
  if (Object.keys(extensions).length > 0) criteria.extensions = extensions;
  return criteria;
}

const fingerprintDigest = (fingerprint: string): string => createHash('sha256').update(fingerprint).digest('base64url').slice(0, 22);

/** Encodes where a page ended, bound to the query it belongs to (by a digest of its fingerprint). */
export function encodePageToken(cursor: PageCursor, fingerprint: string): string {
  const token: Record<string, unknown> = { s: cursor.seq, q: fingerprintDigest(fingerprint) };
  if (cursor.key !== undefined) token['k'] = cursor.key;
  if (cursor.remaining !== undefined) token['r'] = cursor.remaining;
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** The cursor in a token this query issued; anything else is a QueryParameterException. */
export function decodePageToken(raw: string, fingerprint: string, criteria: EventCriteria): PageCursor {
  try {
    const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { s?: unknown; k?: unknown; r?: unknown; q?: unknown };
    const keyed = criteria.orderBy !== undefined;
    const limited = criteria.eventCountLimit !== undefined || criteria.maxEventCount !== undefined;
    if (
      isCount(t.s) &&
      t.q === fingerprintDigest(fingerprint) &&
      (keyed ? typeof t.k === 'string' : t.k === undefined) &&
      (limited ? isCount(t.r) : t.r === undefined)
    ) {
      return { seq: t.s, ...(keyed ? { key: t.k as string } : {}), ...(limited ? { remaining: t.r as number } : {}) };
    }
  } catch {
    // Falls through to the error below: a token is either ours or invalid.
  }
  throw invalid('nextPageToken', 'is not a token this query issued');
}

/** Identifies a query's filters (not its paging) so a token cannot be replayed against another query. */
export function queryFingerprint(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'nextPageToken' && k !== 'perPage')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** `perPage` as the binding spells it: 1 to {@link MAX_PER_PAGE}, default {@link DEFAULT_PER_PAGE}. */
export function parsePerPage(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PER_PAGE;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PER_PAGE) throw invalid('perPage', `must be an integer from 1 to ${MAX_PER_PAGE}`);
  return n;
}

/**
 * Parses EPCIS 2.0 REST query parameters (the URL form) into one page of a
 * query. `fingerprint` names the query a page token must come from; by
 * default the parameters themselves.
 */
export function parseEventQuery(params: Readonly<Record<string, string>>, fingerprint: string = queryFingerprint(params)): EventQuery {
  const { perPage, nextPageToken, ...rest } = params;
  return pageOf(parseEventCriteria(rest), { perPage, nextPageToken }, fingerprint);
}

/** One page of already parsed criteria (a named query's, say), from the paging parameters. */
export function pageOf(
  criteria: EventCriteria,
  paging: { readonly perPage?: string | undefined; readonly nextPageToken?: string | undefined },
  fingerprint: string,
): EventQuery {
  const query: EventQuery = { ...criteria, perPage: parsePerPage(paging.perPage) };
  return paging.nextPageToken === undefined ? query : { ...query, after: decodePageToken(paging.nextPageToken, fingerprint, criteria) };
}

/** `EQ_m2m:reason` or `EQ_{https://ns.m2m-trust.org/epcis/}reason` name the extension field `reason`. */
function extensionName(param: string): string | null {
  if (!param.startsWith('EQ_')) return null;
  const field = param.slice(3);
  const local = field.startsWith(`${M2M_PREFIX}:`)
    ? field.slice(M2M_PREFIX.length + 1)
    : field.startsWith(`{${M2M_NAMESPACE}}`)
      ? field.slice(M2M_NAMESPACE.length + 2)
      : field.startsWith(M2M_NAMESPACE)
        ? field.slice(M2M_NAMESPACE.length)
        : null;
  return local !== null && (QUERYABLE_EXTENSIONS as readonly string[]).includes(local) ? local : null;
}
