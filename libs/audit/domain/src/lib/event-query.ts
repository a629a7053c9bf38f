import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { CBV_BIZSTEP_URI, CBV_DISPOSITION_URI, EPCIS_EVENT_TYPES, type EpcisAction, M2M_NAMESPACE, M2M_PREFIX } from './epcis-vocabulary';

/** A validated EPCIS SimpleEventQuery over the audit log, as the REST binding spells it. */
export interface EventQuery {
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
  readonly perPage: number;
  /** Exclusive lower bound on the record sequence: where the previous page ended. */
  readonly after?: number;
}

export const DEFAULT_PER_PAGE = 100;
export const MAX_PER_PAGE = 1000;
export const QUERYABLE_EXTENSIONS = ['reason', 'challengeId', 'keyThumbprint', 'actor', 'requestId', 'method'] as const;

const ACTIONS: readonly EpcisAction[] = ['ADD', 'OBSERVE', 'DELETE'];
const BARE_WORD = /^[a-z_]+$/;

function invalid(name: string, message: string): DomainError {
  return new DomainError(ErrorCode.QueryParameterInvalid, `${name}: ${message}`, [{ path: name, message }]);
}

/** Values of a parameter: the binding separates alternatives with `|`. */
function list(name: string, raw: string): string[] {
  const values = raw.split('|');
  if (values.some((v) => v.length === 0)) throw invalid(name, 'empty value in the list');
  return values;
}

function instant(name: string, raw: string): string {
  // RFC 3339 with an explicit offset, as EPCIS dateTime values must carry one.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(raw) || Number.isNaN(Date.parse(raw))) {
    throw invalid(name, 'must be an RFC 3339 date-time with a time zone, e.g. 2026-01-01T00:00:00Z');
  }
  return new Date(raw).toISOString();
}

function vocabulary(name: string, raw: string, uriBase: string): string[] {
  return list(name, raw).map((value) => {
    const bare = value.startsWith(uriBase) ? value.slice(uriBase.length) : value;
    if (!BARE_WORD.test(bare) && !/^[a-z][a-z0-9+.-]*:/i.test(bare)) throw invalid(name, `${value} is neither a CBV term nor a URI`);
    return bare;
  });
}

/** Encodes where a page ended, bound to the query it belongs to. */
export function encodePageToken(after: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ a: after, q: fingerprint })).toString('base64url');
}

function decodePageToken(raw: string, fingerprint: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { a?: unknown; q?: unknown };
    if (typeof parsed.a === 'number' && Number.isSafeInteger(parsed.a) && parsed.a >= 0 && parsed.q === fingerprint) return parsed.a;
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

/**
 * Parses EPCIS 2.0 REST query parameters. Unknown parameters and malformed
 * values are a QueryParameterException (QUERY_PARAMETER_INVALID), never ignored.
 */
export function parseEventQuery(params: Readonly<Record<string, string>>): EventQuery {
  const query: { -readonly [K in keyof EventQuery]: EventQuery[K] } = { perPage: DEFAULT_PER_PAGE };
  const extensions: Record<string, string[]> = {};
  for (const [name, raw] of Object.entries(params)) {
    switch (name) {
      case 'eventType': {
        const types = list(name, raw);
        const unknown = types.find((t) => !(EPCIS_EVENT_TYPES as readonly string[]).includes(t));
        if (unknown) throw invalid(name, `${unknown} is not an EPCIS event type`);
        query.eventTypes = types;
        break;
      }
      case 'EQ_action': {
        const actions = list(name, raw);
        const unknown = actions.find((a) => !(ACTIONS as readonly string[]).includes(a));
        if (unknown) throw invalid(name, `${unknown} is not ADD, OBSERVE or DELETE`);
        query.actions = actions as EpcisAction[];
        break;
      }
      case 'EQ_bizStep':
        query.bizSteps = vocabulary(name, raw, CBV_BIZSTEP_URI);
        break;
      case 'EQ_disposition':
        query.dispositions = vocabulary(name, raw, CBV_DISPOSITION_URI);
        break;
      case 'MATCH_epc':
      case 'MATCH_anyEPC':
        query.epcs = [...(query.epcs ?? []), ...list(name, raw)];
        break;
      case 'EQ_eventID':
        query.eventIds = list(name, raw);
        break;
      case 'GE_eventTime':
        query.geEventTime = instant(name, raw);
        break;
      case 'LT_eventTime':
        query.ltEventTime = instant(name, raw);
        break;
      case 'GE_recordTime':
        query.geRecordTime = instant(name, raw);
        break;
      case 'LT_recordTime':
        query.ltRecordTime = instant(name, raw);
        break;
      case 'perPage': {
        const n = Number(raw);
        if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PER_PAGE) throw invalid(name, `must be an integer from 1 to ${MAX_PER_PAGE}`);
        query.perPage = n;
        break;
      }
      case 'nextPageToken':
        break;
      default: {
        const ext = extensionName(name);
        if (!ext) throw invalid(name, 'is not a query parameter this repository knows');
        extensions[ext] = list(name, raw);
      }
    }
  }
  if (params['nextPageToken'] !== undefined) query.after = decodePageToken(params['nextPageToken'], queryFingerprint(params));
  if (Object.keys(extensions).length > 0) query.extensions = extensions;
  return query;
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
