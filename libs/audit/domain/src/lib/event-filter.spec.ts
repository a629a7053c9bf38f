import type { DomainEvent, RecordedEvent } from '@m2m-trust/shared-events';

import { type EpcisObjectEvent, toEpcisEvent } from './epcis-mapping';
import { filterOf, matchesEventFilter } from './event-filter';
import { parseEventCriteria } from './event-query';

let position = 0;
const mapped = (event: DomainEvent, recordedAt: string): EpcisObjectEvent =>
  toEpcisEvent({
    ...event,
    metadata: { requestId: `req-${++position}`, actor: 'api-key:admin' },
    eventId: `event-${position}`,
    streamId: 's',
    streamVersion: position,
    position,
    recordedAt,
    schemaVersion: 1,
  } as RecordedEvent) as EpcisObjectEvent;

const registered = mapped(
  {
    type: 'DeviceRegistered',
    data: { deviceId: 'meter-1', publicKey: 'ab'.repeat(32), keyThumbprint: 'thumb', label: 'M', metadata: {}, registeredAt: '2026-03-01T00:00:00.000Z' },
  },
  '2026-03-01T00:00:00.010Z',
);
const failed = mapped(
  {
    type: 'DeviceAuthenticationFailed',
    data: {
      challengeId: 'c2',
      deviceId: 'meter-1',
      keyThumbprint: 'thumb',
      method: 'challenge-response',
      reason: 'SIGNATURE_INVALID',
      failedAt: '2026-03-02T00:00:00.000Z',
    },
  },
  '2026-03-02T00:00:00.010Z',
);

const matches = (event: EpcisObjectEvent, params: Record<string, string>): boolean => matchesEventFilter(event, parseEventCriteria(params));

describe('matchesEventFilter', () => {
  it('matches everything with no filter', () => {
    expect(matches(registered, {})).toBe(true);
  });

  it.each([
    [{ eventType: 'ObjectEvent' }, true, true],
    [{ eventType: 'AggregationEvent' }, false, false],
    [{ EQ_action: 'ADD|DELETE' }, true, false],
    [{ EQ_bizStep: 'https://ref.gs1.org/cbv/BizStep-inspecting' }, false, true],
    [{ EQ_disposition: 'non_conformant' }, false, true],
    [{ MATCH_epc: 'urn:m2m-trust:device:meter-1' }, true, true],
    [{ MATCH_anyEPC: 'urn:m2m-trust:device:meter-2' }, false, false],
    [{ 'EQ_m2m:reason': 'SIGNATURE_INVALID' }, false, true],
    [{ 'EQ_m2m:challengeId': 'c2' }, false, true],
    [{ 'EQ_m2m:keyThumbprint': 'thumb' }, true, true],
    [{ 'EQ_m2m:actor': 'api-key:admin' }, true, true],
    [{ GE_eventTime: '2026-03-02T00:00:00Z' }, false, true],
    [{ LT_eventTime: '2026-03-02T00:00:00Z' }, true, false],
    [{ GE_recordTime: '2026-03-01T00:00:00.010Z', LT_recordTime: '2026-03-02T00:00:00.010Z' }, true, false],
    [{ EQ_action: 'OBSERVE', EQ_disposition: 'conformant' }, false, false],
  ])('%j: registration %s, failure %s', (params, forRegistered, forFailed) => {
    expect(matches(registered, params)).toBe(forRegistered);
    expect(matches(failed, params)).toBe(forFailed);
  });

  it('matches an event by its own ID only', () => {
    expect(matches(failed, { EQ_eventID: failed.eventID })).toBe(true);
    expect(matches(registered, { EQ_eventID: failed.eventID })).toBe(false);
  });

  it('keeps only the filters of a query, dropping ordering and counts', () => {
    const criteria = parseEventCriteria({ EQ_action: 'ADD', orderBy: 'eventTime', eventCountLimit: '3', 'EQ_m2m:reason': 'x' });
    expect(filterOf(criteria)).toEqual({ actions: ['ADD'], extensions: { reason: ['x'] } });
  });
});
