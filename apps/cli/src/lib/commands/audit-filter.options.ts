import { type EpcisEventFilters } from '@m2m-trust/sdk';

import { integerOption, type OptionSpec, type OptionValues, stringList, stringOption } from '../cli.command';
import { UsageError } from '../cli.error';

// The EPCIS filter flags, shared by `audit query` and `audit export` so that an
// export holds exactly what the same query lists.

const list = (value: string, description: string, choices?: readonly string[]): OptionSpec => ({
  type: 'string',
  multiple: true,
  value,
  description: `${description} (repeatable)`,
  ...(choices ? { choices } : {}),
});
const time = (description: string): OptionSpec => ({ type: 'string', value: 'TIME', description: `${description} (RFC 3339 with a time zone)` });

/** Flags that each become one EPCIS filter; repeating a flag gives alternatives. */
const LIST_FILTERS = {
  device: ['deviceId', list('ID', 'events of this device')],
  epc: ['epc', list('URI', 'MATCH_epc: a device URI')],
  action: ['action', list('ACTION', 'EQ_action: ADD, OBSERVE or DELETE', ['ADD', 'OBSERVE', 'DELETE'])],
  'biz-step': ['bizStep', list('STEP', 'EQ_bizStep: e.g. commissioning, inspecting, decommissioning')],
  disposition: ['disposition', list('DISPOSITION', 'EQ_disposition: e.g. conformant, non_conformant')],
  'event-type': ['eventType', list('TYPE', 'eventType')],
  'event-id': ['eventId', list('ID', 'EQ_eventID: an event hash id')],
  reason: ['reason', list('REASON', 'EQ_m2m:reason: e.g. SIGNATURE_INVALID')],
  'challenge-id': ['challengeId', list('ID', 'EQ_m2m:challengeId')],
  'key-thumbprint': ['keyThumbprint', list('THUMBPRINT', 'EQ_m2m:keyThumbprint')],
  actor: ['actor', list('ACTOR', 'EQ_m2m:actor: api-key:admin or device:<id>')],
  'request-id': ['requestId', list('ID', 'EQ_m2m:requestId')],
} as const satisfies Record<string, readonly [keyof EpcisEventFilters, OptionSpec]>;

const TIME_FILTERS = {
  since: ['eventTimeFrom', time('GE_eventTime: events at or after')],
  until: ['eventTimeTo', time('LT_eventTime: events before')],
  'recorded-since': ['recordTimeFrom', time('GE_recordTime')],
  'recorded-until': ['recordTimeTo', time('LT_recordTime')],
} as const satisfies Record<string, readonly [keyof EpcisEventFilters, OptionSpec]>;

/** Every filter flag, for a command's `options`. */
export const FILTER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  ...Object.fromEntries(Object.entries(LIST_FILTERS).map(([flag, [, spec]]) => [flag, spec])),
  ...Object.fromEntries(Object.entries(TIME_FILTERS).map(([flag, [, spec]]) => [flag, spec])),
  param: { type: 'string', multiple: true, value: 'NAME=VALUE', description: 'any other EPCIS query parameter, as the service names it (repeatable)' },
};

// RFC 3339 with a zone, as the service requires; caught here so a typo is a usage error, not a 400.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** The filters the flags name; `--per-page` too where the command offers it. */
export function filtersOf(values: OptionValues): EpcisEventFilters {
  const filters: Record<string, unknown> = {};
  for (const [flag, [filter]] of Object.entries(LIST_FILTERS)) {
    const given = stringList(values, flag);
    if (given.length > 0) filters[filter] = given;
  }
  for (const [flag, [filter]] of Object.entries(TIME_FILTERS)) {
    const given = stringOption(values, flag);
    if (given === undefined) continue;
    if (!RFC3339.test(given) || Number.isNaN(Date.parse(given))) throw new UsageError(`--${flag} must be an RFC 3339 date-time with a time zone, e.g. 2026-11-21T08:00:00Z`);
    filters[filter] = given;
  }
  const perPage = integerOption(values, 'per-page', 1, 1000);
  if (perPage !== undefined) filters['perPage'] = perPage;
  const params: Record<string, string> = {};
  for (const pair of stringList(values, 'param')) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError('--param takes NAME=VALUE, e.g. --param EQ_m2m:method=challenge-response');
    params[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (Object.keys(params).length > 0) filters['params'] = params;
  return filters as EpcisEventFilters;
}
