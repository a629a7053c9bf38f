import { type EpcisObjectEvent, matchesEventFilter, parseEventCriteria, toEpcisEvent } from '@m2m-trust/audit-domain';

import { eventSource } from './audit-log.test-events';
import { NONE, PARAMETER_CASES } from './audit-query.test-table';

// The in-memory matcher (SSE, subscriptions) against the table both stores' readers answer in their int-specs.
describe('EPCIS query parameters in memory (matchesEventFilter)', () => {
  const next = eventSource(42);
  const events = Array.from({ length: 400 }, () => toEpcisEvent(next()) as EpcisObjectEvent);

  it.each(PARAMETER_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const filter = parseEventCriteria(c.params);
    const want = events.filter(c.selects).map((e) => e.eventID);
    // A case that should select something selects something here, or it proves nothing.
    if (c.selects !== NONE) expect(want.length).toBeGreaterThan(0);
    expect(events.filter((e) => matchesEventFilter(e, filter)).map((e) => e.eventID)).toEqual(want);
  });
});
