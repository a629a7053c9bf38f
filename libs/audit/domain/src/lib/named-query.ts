import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { type EventCriteria, parseEventCriteria, queryParameterError, type RawParameter } from './event-query';

/** A stored EPCIS query: its name and the query object as the client wrote it (query-schema.json form). */
export interface NamedQuery {
  readonly name: string;
  readonly query: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
}

/** Names travel as one URL path segment (`/epcis/queries/{name}`), so they stay within the unreserved characters. */
export const QUERY_NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

/** Parameters whose value the query schema types as an array of strings. */
const LIST_PARAMETERS = new Set(['eventType', 'EQ_action', 'EQ_bizStep', 'EQ_disposition', 'MATCH_epc', 'MATCH_anyEPC', 'EQ_eventID']);
const TIME_PARAMETERS = new Set(['GE_eventTime', 'LT_eventTime', 'GE_recordTime', 'LT_recordTime']);
const STRING_PARAMETERS = new Set(['orderBy', 'orderDirection']);
const INTEGER_PARAMETERS = new Set(['eventCountLimit', 'maxEventCount']);

function validation(path: string, message: string): DomainError {
  return new DomainError(ErrorCode.QueryInvalid, `${path}: ${message}`, [{ path, message }]);
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a query object (the `query` of a POST /queries body). A value of the
 * wrong JSON type for its parameter breaks query-schema.json: a
 * QueryValidationException. Well-typed values then go through the very
 * parser the URL form uses, so a parameter this repository does not support,
 * or a bad value, is a QueryParameterException exactly as on /events.
 */
export function parseQueryObject(query: unknown): EventCriteria {
  if (!isObject(query)) throw validation('/query', 'must be a JSON object of EPCIS query parameters');
  const params: Record<string, RawParameter> = {};
  for (const [name, value] of Object.entries(query)) {
    const path = `/query/${name}`;
    // JSON-LD context for extension prefixes: allowed by the schema, and the m2m prefix is fixed here.
    if (name === '@context') continue;
    if (LIST_PARAMETERS.has(name) || name.startsWith('EQ_')) {
      if (isStringArray(value)) params[name] = value;
      // The schema also allows a number or a date-time for an extension field; ours are all strings.
      else if (!LIST_PARAMETERS.has(name) && (typeof value === 'string' || typeof value === 'number')) {
        throw queryParameterError(name, 'give an array of strings');
      } else throw validation(path, 'must be an array of strings');
    } else if (TIME_PARAMETERS.has(name) || STRING_PARAMETERS.has(name)) {
      if (typeof value !== 'string') throw validation(path, 'must be a string');
      params[name] = value;
    } else if (INTEGER_PARAMETERS.has(name)) {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw validation(path, 'must be an integer');
      params[name] = String(value);
    } else {
      throw queryParameterError(name, 'is not a query parameter this repository knows');
    }
  }
  return parseEventCriteria(params);
}

/** A POST /queries body: `{ name, query }` (the binding's QueryDefinition). */
export function parseQueryDefinition(body: unknown): { readonly name: string; readonly query: Readonly<Record<string, unknown>>; readonly criteria: EventCriteria } {
  if (!isObject(body)) throw validation('/', 'the body must be a JSON object with name and query');
  for (const key of Object.keys(body)) {
    if (key !== 'name' && key !== 'query') throw validation(`/${key}`, `unknown field "${key}"`);
  }
  const { name, query } = body;
  if (typeof name !== 'string') throw validation('/name', 'is required, a string');
  if (!QUERY_NAME.test(name)) throw validation('/name', 'must be 1 to 128 letters, digits, ".", "_", "~" or "-", starting with a letter or digit');
  if (query === undefined) throw validation('/query', 'is required');
  const criteria = parseQueryObject(query);
  return { name, query: query as Record<string, unknown>, criteria };
}

/** A page token for lists in name order (named queries, event types): the last name seen, bound to its list. */
export function encodeNamePageToken(after: string, list: string): string {
  return Buffer.from(JSON.stringify({ a: after, l: list })).toString('base64url');
}

export function decodeNamePageToken(raw: string, list: string): string {
  try {
    const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { a?: unknown; l?: unknown };
    if (typeof t.a === 'string' && t.l === list) return t.a;
  } catch {
    // Falls through: a token is either ours or invalid.
  }
  throw queryParameterError('nextPageToken', 'is not a token this list issued');
}
