import { createHash } from 'node:crypto';

import { type ExtensionOp, type QualifiedName, qualifiedName, standardParameter } from './epcis-query-parameters';
import { CBV_BIZSTEP_URI, CBV_DISPOSITION_URI, EPCIS_EVENT_TYPES, type EpcisAction, M2M_EXTENSION_FIELDS, M2M_NAMESPACE, type M2mExtensionField } from './epcis-vocabulary';
import { isUri, parameterValue, type ParameterValueOf, queryParameterError, type RawParameter, vocabularyTerm } from './query-parameter-values';

// Where the subscription controls (and callers written before the split) import them from.
export { parseInstant, queryParameterError, type RawParameter } from './query-parameter-values';

/** Which events a query selects: the EPCIS SimpleEventQuery filters, as they apply to this log's events. */
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
  readonly extensions?: Readonly<Partial<Record<M2mExtensionField, readonly string[]>>>;
  /** Extension fields an event must carry (`EXISTS_m2m:<name>`), by local name. */
  readonly present?: readonly M2mExtensionField[];
  /**
   * The parameters whose condition no event of this log can satisfy (a field
   * it never carries, alternatives with nothing in common): when any is
   * given, the query selects nothing, and no store needs to be asked.
   */
  readonly unsatisfiable?: readonly string[];
}

/** `eventTime`, `recordTime` or an extension field of the project's (the binding allows any extension field). */
export type OrderField = 'eventTime' | 'recordTime' | `m2m:${M2mExtensionField}`;
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

const ACTIONS: readonly EpcisAction[] = ['ADD', 'OBSERVE', 'DELETE'];

/**
 * The binding's default direction is DESC when `orderBy` is given. Without
 * `orderBy` results are in record order, ascending unless `orderDirection`
 * reverses it (the binding leaves that case open; newest-first is what auditors ask for).
 */
export function orderDirectionOf(criteria: EventCriteria): OrderDirection {
  return criteria.orderDirection ?? (criteria.orderBy ? 'DESC' : 'ASC');
}

const invalid = queryParameterError;

/** The project's extension field a qualified name names, or null for any other field (which no audit event carries). */
function ourField(field: QualifiedName): M2mExtensionField | null {
  return field.namespace === M2M_NAMESPACE && (M2M_EXTENSION_FIELDS as readonly string[]).includes(field.local) ? (field.local as M2mExtensionField) : null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A query's conditions as they are read, one parameter at a time. */
class CriteriaBuilder {
  readonly criteria: Mutable<EventCriteria> = {};
  readonly extensions: Partial<Record<M2mExtensionField, readonly string[]>> = {};
  readonly present: M2mExtensionField[] = [];
  readonly unsatisfiable: string[] = [];
  /** `orderBy` named a field no event carries: given, but it orders nothing. */
  orderedByAbsentField = false;

  /**
   * Two parameters on one field must both hold (MATCH_epc and MATCH_anyEPC,
   * or one extension field spelt two ways): the alternatives they share.
   */
  narrow(name: string, before: readonly string[] | undefined, values: readonly string[]): readonly string[] {
    const both = before === undefined ? values : before.filter((v) => values.includes(v));
    if (both.length === 0) this.unsatisfiable.push(name);
    return both.length === 0 ? values : both;
  }

  carried(name: string, value: ParameterValueOf): void {
    const c = this.criteria;
    const values = value as readonly string[];
    switch (name) {
      case 'eventType': {
        // An extension event type is named by a URI; no audit event has one, but it is a valid condition.
        const unknown = values.find((t) => !(EPCIS_EVENT_TYPES as readonly string[]).includes(t) && !isUri(t));
        if (unknown) throw invalid(name, `${unknown} is neither an EPCIS event type nor an extension event type's URI`);
        c.eventTypes = values;
        break;
      }
      case 'EQ_action': {
        const unknown = values.find((a) => !(ACTIONS as readonly string[]).includes(a));
        if (unknown) throw invalid(name, `${unknown} is not ADD, OBSERVE or DELETE`);
        c.actions = values as EpcisAction[];
        break;
      }
      case 'EQ_bizStep':
        c.bizSteps = values.map((v) => vocabularyTerm(name, v, CBV_BIZSTEP_URI));
        break;
      case 'EQ_disposition':
        c.dispositions = values.map((v) => vocabularyTerm(name, v, CBV_DISPOSITION_URI));
        break;
      case 'MATCH_epc':
      case 'MATCH_anyEPC':
        // An audit event's only EPCs are its epcList: both parameters test the same list, and both must hold.
        c.epcs = this.narrow(name, c.epcs, values);
        break;
      case 'EQ_eventID':
        c.eventIds = values;
        break;
      case 'GE_eventTime':
        c.geEventTime = value as string;
        break;
      case 'LT_eventTime':
        c.ltEventTime = value as string;
        break;
      case 'GE_recordTime':
        c.geRecordTime = value as string;
        break;
      case 'LT_recordTime':
        c.ltRecordTime = value as string;
        break;
      case 'orderBy':
        this.orderBy(value as string);
        break;
      case 'orderDirection':
        if (value !== 'ASC' && value !== 'DESC') throw invalid(name, 'must be ASC or DESC');
        c.orderDirection = value;
        break;
      case 'eventCountLimit':
        c.eventCountLimit = value as number;
        break;
      case 'maxEventCount':
        c.maxEventCount = value as number;
        break;
      default:
        throw new Error(`no interpretation for the carried parameter ${name}`);
    }
  }

  /** The binding: `eventTime`, `recordTime`, or the qualified name of an extension field. */
  private orderBy(value: string): void {
    if (value === 'eventTime' || value === 'recordTime') {
      this.criteria.orderBy = value;
      return;
    }
    const field = qualifiedName(value);
    if (!field) throw invalid('orderBy', 'must be eventTime, recordTime or an extension field (m2m:<name>)');
    const ours = ourField(field);
    // "Events that lack the field may occur in any position": when none has it, record order is one such order.
    if (ours) this.criteria.orderBy = `m2m:${ours}`;
    else this.orderedByAbsentField = true;
  }

  extension(name: string, op: ExtensionOp, field: QualifiedName, value: ParameterValueOf): void {
    const ours = ourField(field);
    if (op === 'EXISTS') {
      if (value === false) return;
      if (ours) this.present.push(ours);
      else this.unsatisfiable.push(name);
    } else if (op === 'EQ' && ours) {
      this.extensions[ours] = this.narrow(name, this.extensions[ours], value as readonly string[]);
    } else {
      // GT/GE/LT/LE compare Int, Float and Time fields (8.2.7.1); every m2m field is a String.
      this.unsatisfiable.push(name);
    }
  }

  build(): EventCriteria {
    const c = this.criteria;
    if (c.eventCountLimit !== undefined && c.maxEventCount !== undefined) throw invalid('eventCountLimit', 'and maxEventCount are mutually exclusive');
    // The binding: "first N" only means something in a stated order.
    if (c.eventCountLimit !== undefined && c.orderBy === undefined && !this.orderedByAbsentField) throw invalid('eventCountLimit', 'requires orderBy');
    if (Object.keys(this.extensions).length > 0) c.extensions = this.extensions;
    if (this.present.length > 0) c.present = [...new Set(this.present)];
    if (this.unsatisfiable.length > 0) c.unsatisfiable = this.unsatisfiable;
    return c;
  }
}

/**
 * Interprets query parameters (not paging) in either form: every parameter
 * EPCIS 2.0 defines (epcis-query-parameters.ts), a condition on a field the
 * log's events never carry selecting nothing. A name the standard does not
 * define, or a malformed value, is a QueryParameterException, never ignored.
 */
export function parseEventCriteria(params: Readonly<Record<string, RawParameter>>): EventCriteria {
  const builder = new CriteriaBuilder();
  for (const [name, raw] of Object.entries(params)) {
    const parameter = standardParameter(name);
    if (!parameter) throw invalid(name, 'is not a query parameter of EPCIS 2.0 (section 8.2.7.1) nor an extension field (EQ_m2m:<name>, ...)');
    const value = parameterValue(name, raw, parameter.value);
    switch (parameter.kind) {
      case 'carried':
        builder.carried(name, value);
        break;
      case 'absent':
        // EXISTS_errorDeclaration=false: "events are returned regardless".
        if (value !== false) builder.unsatisfiable.push(name);
        break;
      case 'extension':
        builder.extension(name, parameter.op, parameter.field, value);
        break;
    }
  }
  return builder.build();
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
