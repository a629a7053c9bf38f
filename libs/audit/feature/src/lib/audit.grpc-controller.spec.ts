import { parseEventQuery, queryFingerprint } from '@m2m-trust/audit-domain';
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
  parameter: [],
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
    ['a name that is no extension field', { field: 'colour', values: ['red'] }, 'EQ_colour: is not an extension field'],
    ['no value', { field: 'm2m:reason', values: [] }, 'EQ_m2m:reason: give at least one value'],
  ])('refuses an extension filter with %s', (_, filter, message) => {
    const refuse = () => eventQueryParameters(request({ eqExtension: [filter] }));
    expect(refuse).toThrow(DomainError);
    expect(refuse).toThrow(message);
  });

  it('passes every other standard parameter under its REST name, for the parser to accept or refuse', () => {
    const params = eventQueryParameters(
      request({
        eqAction: ['ADD'],
        parameter: [
          { name: 'EQ_readPoint', values: ['urn:epc:id:sgln:0614141.07346.1234', 'urn:epc:id:sgln:0614141.07346.0'] },
          { name: 'EXISTS_m2m:reason', values: [] },
          { name: 'orderBy', values: ['eventTime'] },
          { name: 'eventCountLimit', values: ['3'] },
        ],
      }),
    );
    expect(params).toEqual({
      EQ_action: 'ADD',
      EQ_readPoint: 'urn:epc:id:sgln:0614141.07346.1234|urn:epc:id:sgln:0614141.07346.0',
      'EXISTS_m2m:reason': '',
      orderBy: 'eventTime',
      eventCountLimit: '3',
    });
    expect(parseEventQuery(params)).toMatchObject({ unsatisfiable: ['EQ_readPoint'], present: ['reason'], orderBy: 'eventTime', eventCountLimit: 3 });
  });

  it.each([
    ['a name a field already gives', { name: 'EQ_action', values: ['DELETE'] }, 'EQ_action: give the parameter once'],
    ['paging', { name: 'perPage', values: ['5'] }, 'perPage: give it in its own field'],
  ])('refuses a parameter that is %s', (_, parameter, message) => {
    expect(() => eventQueryParameters(request({ eqAction: ['ADD'], parameter: [parameter] }))).toThrow(message);
  });

  it('refuses an extension field given twice', () => {
    const twice = request({ eqExtension: [{ field: 'm2m:actor', values: ['a'] }, { field: 'm2m:actor', values: ['b'] }] });
    expect(() => eventQueryParameters(twice)).toThrow('EQ_m2m:actor: give the field once');
  });
});
