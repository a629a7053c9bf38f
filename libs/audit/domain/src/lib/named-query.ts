import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { type ParameterValue, standardParameter } from './epcis-query-parameters';
import { type EventCriteria, parseEventCriteria } from './event-query';
import { isInstant, queryParameterError, type RawParameter } from './query-parameter-values';

/** A stored EPCIS query: its name and the query object as the client wrote it (query-schema.json form). */
export interface NamedQuery {
  readonly name: string;
  readonly query: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
}

/** Names travel as one URL path segment (`/epcis/queries/{name}`), so they stay within the unreserved characters. */
export const QUERY_NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

function validation(path: string, message: string): DomainError {
  return new DomainError(ErrorCode.QueryInvalid, `${path}: ${message}`, [{ path, message }]);
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
const isNumberArray = (value: unknown): value is number[] => Array.isArray(value) && value.every((v) => typeof v === 'number');
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A value in its query-schema.json type, as the URL form would spell it; or
 * a message when the JSON type is wrong. `typed` marks a single number or
 * date-time given for an extension field, which compares only with a field
 * of that type.
 */
function urlForm(value: unknown, type: ParameterValue): { raw: RawParameter; typed?: true } | string {
  switch (type) {
    case 'strings':
    case 'uris':
      return isStringArray(value) ? { raw: value } : 'must be an array of strings';
    case 'numbers':
      return isNumberArray(value) ? { raw: value.map(String) } : 'must be an array of numbers';
    case 'time':
    case 'word':
      return typeof value === 'string' ? { raw: value } : 'must be a string';
    case 'number':
      return typeof value === 'number' ? { raw: String(value) } : 'must be a number';
    case 'count':
      return typeof value === 'number' && Number.isInteger(value) ? { raw: String(value) } : 'must be an integer';
    case 'boolean':
      return typeof value === 'boolean' ? { raw: String(value) } : 'must be true or false';
    case 'void':
      // query-schema.json: "integer, nullable"; openapi.yaml: boolean. Presence is the condition; false or 0 none.
      if (value === null) return { raw: '' };
      if (typeof value === 'boolean') return { raw: String(value) };
      return typeof value === 'number' && Number.isInteger(value) ? { raw: String(value !== 0) } : 'must be null, a boolean or an integer';
    case 'fieldValue':
      if (isStringArray(value)) return { raw: value };
      return typeof value === 'number' || (typeof value === 'string' && isInstant(value))
        ? { raw: [String(value)], typed: true }
        : 'must be an array of strings, a number or a date-time';
    case 'fieldBound':
      return typeof value === 'number' || typeof value === 'string' ? { raw: String(value) } : 'must be a number or a date-time';
  }
}

/**
 * Reads a query object (the `query` of a POST /queries body). A value of the
 * wrong JSON type for its parameter breaks query-schema.json: a
 * QueryValidationException. Well-typed values then go through the very
 * parser the URL form uses, so a parameter the standard does not define,
 * or a bad value, is a QueryParameterException exactly as on /events.
 */
export function parseQueryObject(query: unknown): EventCriteria {
  if (!isObject(query)) throw validation('/query', 'must be a JSON object of EPCIS query parameters');
  const params: Record<string, RawParameter> = {};
  const typed: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    // JSON-LD context for extension prefixes: allowed by the schema, and the m2m prefix is fixed here.
    if (name === '@context') continue;
    const parameter = standardParameter(name);
    if (!parameter) throw queryParameterError(name, 'is not a query parameter of EPCIS 2.0 (section 8.2.7.1) nor an extension field (EQ_m2m:<name>, ...)');
    const form = urlForm(value, parameter.value);
    if (typeof form === 'string') throw validation(`/query/${name}`, form);
    params[name] = form.raw;
    if (form.typed) typed.push(name);
  }
  const criteria = parseEventCriteria(params);
  // Every m2m field is a String: a number or a time given for one matches no event.
  return typed.length === 0 ? criteria : { ...criteria, unsatisfiable: [...(criteria.unsatisfiable ?? []), ...typed] };
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
