import { type EpcisEvent } from '@m2m-trust/sdk';

import { type Command, integerOption } from '../cli.command';
import { ExitCode } from '../exit-code';
import { type Column, renderTable } from '../output/table.formatter';
import { FILTER_OPTIONS, filtersOf } from './audit-filter.options';

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
    ...FILTER_OPTIONS,
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
