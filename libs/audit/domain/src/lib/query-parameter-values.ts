import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import type { ParameterValue } from './epcis-query-parameters';
import { CBV_BIZSTEP_URI } from './epcis-vocabulary';

/**
 * A parameter's value before interpretation: the URL form gives one string
 * with `|` between alternatives, a query body (query-schema.json) an array.
 */
export type RawParameter = string | readonly string[];

/** A parameter's value checked against its type: a list, one string (times normalised to UTC), a number or a flag. */
export type ParameterValueOf = readonly string[] | string | number | boolean;

const BARE_WORD = /^[a-z_]+$/;
const URI = /^[a-z][a-z0-9+.-]*:\S+$/i;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** The binding's QueryParameterException: an unknown parameter or a malformed value. */
export function queryParameterError(name: string, message: string): DomainError {
  return new DomainError(ErrorCode.QueryParameterInvalid, `${name}: ${message}`, [{ path: name, message }]);
}
const invalid = queryParameterError;

export function list(name: string, raw: RawParameter): string[] {
  const values = typeof raw === 'string' ? raw.split('|') : [...raw];
  if (values.length === 0) throw invalid(name, 'give at least one value');
  if (values.some((v) => v.length === 0)) throw invalid(name, 'empty value in the list');
  return values;
}

export function single(name: string, raw: RawParameter): string {
  if (typeof raw !== 'string') throw invalid(name, 'takes a single value');
  return raw;
}

export const isInstant = (value: string): boolean => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));

/** An RFC 3339 date-time with a time zone, normalised to UTC as the log stores times. */
export function parseInstant(name: string, raw: RawParameter): string {
  const value = single(name, raw);
  // RFC 3339 with an explicit offset, as EPCIS dateTime values must carry one.
  if (!isInstant(value)) throw invalid(name, 'must be an RFC 3339 date-time with a time zone, e.g. 2026-01-01T00:00:00Z');
  return new Date(value).toISOString();
}

function count(name: string, raw: RawParameter): number {
  const value = single(name, raw);
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw invalid(name, 'must be a positive integer');
  return n;
}

function number(name: string, value: string): number {
  const n = Number(value);
  if (!NUMBER.test(value) || !Number.isFinite(n)) throw invalid(name, `${value} is not a number`);
  return n;
}

/** A CBV term, bare or as its web-vocabulary URI (reduced to the bare word), or another URI. */
export function vocabularyTerm(name: string, value: string, uriBase: string): string {
  const bare = value.startsWith(uriBase) ? value.slice(uriBase.length) : value;
  if (!BARE_WORD.test(bare) && !URI.test(bare)) throw invalid(name, `${value} is neither a CBV term nor a URI`);
  return bare;
}

export const bizStepTerm = (name: string, value: string): string => vocabularyTerm(name, value, CBV_BIZSTEP_URI);

export const isUri = (value: string): boolean => URI.test(value);

/** EPCs are URIs (the binding's `epc` is `format: uri`); devices are `urn:m2m-trust:device:<id>`. */
export function epcValue(name: string, value: string): string {
  if (!URI.test(value)) throw invalid(name, `${value} is not a URI`);
  return value;
}

/**
 * Checks a value against its parameter's type. Every standard parameter's
 * value is checked, including those on fields this log never carries: a
 * malformed value is a QueryParameterException whatever it would match.
 */
export function parameterValue(name: string, raw: RawParameter, type: ParameterValue): ParameterValueOf {
  switch (type) {
    case 'strings':
    case 'fieldValue':
      return list(name, raw);
    case 'uris':
      return list(name, raw).map((v) => epcValue(name, v));
    case 'numbers':
      return list(name, raw).map((v) => String(number(name, v)));
    case 'time':
      return parseInstant(name, raw);
    case 'number':
      return number(name, single(name, raw));
    case 'count':
      return count(name, raw);
    case 'boolean': {
      const value = single(name, raw);
      if (value !== 'true' && value !== 'false') throw invalid(name, 'must be true or false');
      return value === 'true';
    }
    case 'void': {
      // The standard's Void: the parameter's presence is the condition; the binding also writes it as a boolean.
      const value = single(name, raw);
      if (value !== '' && value !== 'true' && value !== 'false') throw invalid(name, 'takes no value, or true or false');
      return value !== 'false';
    }
    case 'word':
      return single(name, raw);
    case 'fieldBound': {
      const value = single(name, raw);
      if (!isInstant(value) && !NUMBER.test(value)) throw invalid(name, 'must be a number or an RFC 3339 date-time with a time zone');
      return value;
    }
  }
}
