import { type EpcisEvent, type EpcisEventFilters } from '@m2m-trust/sdk';

import { type Command, integerOption, type OptionSpec, type OptionValues, stringList, stringOption } from '../cli.command';
import { UsageError } from '../cli.error';
import { ExitCode } from '../exit-code';
import { type Column, renderTable } from '../output/table.formatter';

const list = (value: string, description: string): OptionSpec => ({ type: 'string', multiple: true, value, description: `${description} (repeatable)` });
const time = (description: string): OptionSpec => ({ type: 'string', value: 'TIME', description: `${description} (RFC 3339 with a time zone)` });

/** Flags that each become one EPCIS filter; repeating a flag gives alternatives. */
const LIST_FILTERS = {
  device: ['deviceId', list('ID', 'events of this device')],
  epc: ['epc', list('URI', 'MATCH_epc: a device URI')],
  action: ['action', list('ACTION', 'EQ_action: ADD, OBSERVE or DELETE')],
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

// RFC 3339 with a zone, as the service requires; caught here so a typo is a usage error, not a 400.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

function filtersOf(values: OptionValues): EpcisEventFilters {
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

const DEVICE_URN = 'urn:m2m-trust:device:';

const EVENT_COLUMNS: readonly Column<EpcisEvent>[] = [
  { header: 'EVENT TIME', value: (e) => e.eventTime },
  { header: 'ACTION', value: (e) => e.action },
  { header: 'BIZ STEP', value: (e) => e.bizStep?.replace('https://ref.gs1.org/cbv/BizStep-', '') },
  { header: 'DISPOSITION', value: (e) => e.disposition?.replace('https://ref.gs1.org/cbv/Disp-', '') },
  { header: 'DEVICE', value: (e) => (e.epcList ?? []).map((epc) => (epc.startsWith(DEVICE_URN) ? epc.slice(DEVICE_URN.length) : epc)).join(' ') },
  { header: 'ACTOR', value: (e) => e['m2m:actor'] },
  { header: 'REASON', value: (e) => e['m2m:reason'] },
];

export const auditQueryCommand: Command = {
  path: ['audit', 'query'],
  summary: 'Query the EPCIS 2.0 audit log, following every page',
  usage: '[--device ID]... [--action ACTION]... [--since TIME] [--until TIME] [filters] [--limit N]',
  details:
    'Filters of different kinds must all hold; a repeated flag gives alternatives\n' +
    '(--action ADD --action DELETE). With --json the events are printed as a JSON\n' +
    'array of EPCIS 2.0 ObjectEvents, in record order.',
  options: {
    ...Object.fromEntries(Object.entries(LIST_FILTERS).map(([flag, [, spec]]) => [flag, spec])),
    ...Object.fromEntries(Object.entries(TIME_FILTERS).map(([flag, [, spec]]) => [flag, spec])),
    param: { type: 'string', multiple: true, value: 'NAME=VALUE', description: 'any other EPCIS query parameter, as the service names it (repeatable)' },
    'per-page': { type: 'string', value: 'N', description: 'events fetched per request (1-1000)' },
    limit: { type: 'string', value: 'N', description: 'stop after N events' },
  },
  async run({ values, output, operatorClient }) {
    const filters = filtersOf(values);
    const limit = integerOption(values, 'limit', 1, Number.MAX_SAFE_INTEGER);
    const client = operatorClient();
    if (output.json) {
      // Streamed, page by page: an export of the whole log need not fit in memory.
      let count = 0;
      output.write('[');
      for await (const event of client.audit.iterateEvents(filters)) {
        output.write(`${count === 0 ? '\n' : ',\n'}${JSON.stringify(event)}`);
        count++;
        if (limit !== undefined && count >= limit) break;
      }
      output.write(count === 0 ? ']\n' : '\n]\n');
      return ExitCode.Ok;
    }
    const events: EpcisEvent[] = [];
    for await (const event of client.audit.iterateEvents(filters)) {
      events.push(event);
      if (limit !== undefined && events.length >= limit) break;
    }
    output.result(events, () => (events.length === 0 ? '' : renderTable(EVENT_COLUMNS, events)));
    output.note(`${events.length} event${events.length === 1 ? '' : 's'}`);
    return ExitCode.Ok;
  },
};

/** Named so operators find them, but they come with the tamper-evident audit chain; nothing is faked meanwhile. */
const notYet = (name: string): Command => ({
  path: ['audit', name],
  summary: 'Not available yet (comes with the tamper-evident audit chain)',
  usage: '',
  options: {},
  async run() {
    throw new UsageError(`m2m audit ${name} is not available yet: it comes with the tamper-evident audit chain. Use m2m audit query --json meanwhile.`);
  },
});

export const auditExportCommand = notYet('export');
export const auditVerifyCommand = notYet('verify');
