import { queryFingerprint } from '@m2m-trust/audit-domain';
import { DomainError } from '@m2m-trust/shared-domain';
import type { QueryEventsRequest__Output } from '@m2m-trust/shared-proto';

import { eventQueryParameters } from './audit.grpc-controller';

const request = (fields: Partial<QueryEventsRequest__Output> = {}): QueryEventsRequest__Output => ({
  eventType: [],
  eqAction: [],
  eqBizStep: [],
  eqDisposition: [],
  matchEpc: [],
  matchAnyEpc: [],
  eqEventId: [],
  geEventTime: '',
  ltEventTime: '',
  geRecordTime: '',
  ltRecordTime: '',
  eqExtension: [],
  perPage: 0,
  nextPageToken: '',
  ...fields,
});

describe('eventQueryParameters: a QueryEvents request as the EPCIS REST parameters', () => {
  it('sends no parameter for empty fields', () => {
    expect(eventQueryParameters(request())).toEqual({});
  });

  it('joins repeated values into the binding\'s | alternatives, under the HTTP names', () => {
    expect(
      eventQueryParameters(
        request({
          eventType: ['ObjectEvent'],
          eqAction: ['ADD', 'DELETE'],
          eqBizStep: ['inspecting'],
          eqDisposition: ['conformant', 'non_conformant'],
          matchEpc: ['urn:m2m-trust:device:a'],
          matchAnyEpc: ['urn:m2m-trust:device:b'],
          eqEventId: ['ni:///sha-256;00?ver=CBV2.0'],
          geEventTime: '2026-01-01T00:00:00Z',
          ltEventTime: '2026-02-01T00:00:00Z',
          geRecordTime: '2026-01-01T00:00:00+01:00',
          ltRecordTime: '2026-03-01T00:00:00Z',
          eqExtension: [{ field: 'm2m:reason', values: ['SIGNATURE_INVALID', 'CHALLENGE_EXPIRED'] }],
          perPage: 10,
          nextPageToken: 'token',
        }),
      ),
    ).toEqual({
      eventType: 'ObjectEvent',
      EQ_action: 'ADD|DELETE',
      EQ_bizStep: 'inspecting',
      EQ_disposition: 'conformant|non_conformant',
      MATCH_epc: 'urn:m2m-trust:device:a',
      MATCH_anyEPC: 'urn:m2m-trust:device:b',
      EQ_eventID: 'ni:///sha-256;00?ver=CBV2.0',
      GE_eventTime: '2026-01-01T00:00:00Z',
      LT_eventTime: '2026-02-01T00:00:00Z',
      GE_recordTime: '2026-01-01T00:00:00+01:00',
      LT_recordTime: '2026-03-01T00:00:00Z',
      'EQ_m2m:reason': 'SIGNATURE_INVALID|CHALLENGE_EXPIRED',
      perPage: '10',
      nextPageToken: 'token',
    });
  });

  it('fingerprints like the same HTTP query, so page tokens work across transports', () => {
    const params = eventQueryParameters(request({ eqAction: ['OBSERVE'], matchEpc: ['urn:m2m-trust:device:a'] }));
    expect(queryFingerprint(params)).toBe(queryFingerprint({ MATCH_epc: 'urn:m2m-trust:device:a', EQ_action: 'OBSERVE' }));
  });

  it.each([
    ['a standard parameter', { field: 'action', values: ['ADD'] }, 'EQ_action: is not an extension field'],
    ['an unknown field', { field: 'm2m:colour', values: ['red'] }, 'EQ_m2m:colour'],
    ['no value', { field: 'm2m:reason', values: [] }, 'EQ_m2m:reason: give at least one value'],
  ])('refuses an extension filter with %s', (_, filter, message) => {
    const refuse = () => eventQueryParameters(request({ eqExtension: [filter] }));
    expect(refuse).toThrow(DomainError);
    expect(refuse).toThrow(message);
  });

  it('refuses an extension field given twice', () => {
    const twice = request({ eqExtension: [{ field: 'm2m:actor', values: ['a'] }, { field: 'm2m:actor', values: ['b'] }] });
    expect(() => eventQueryParameters(twice)).toThrow('EQ_m2m:actor: give the field once');
  });
});
