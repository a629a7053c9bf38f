import { epcisQueryParams } from './epcis-query';

describe('epcisQueryParams', () => {
  it('maps readable filters to EPCIS parameters, alternatives in one parameter', () => {
    const params = epcisQueryParams({
      deviceId: ['scanner-1', 'meter:eu.7'],
      epc: 'urn:m2m-trust:device:robot-2',
      action: ['ADD', 'DELETE'],
      bizStep: 'inspecting',
      disposition: 'non_conformant',
      reason: 'SIGNATURE_INVALID',
      actor: 'api-key:admin',
      eventTimeFrom: new Date('2026-11-21T08:00:00.000Z'),
      recordTimeTo: '2026-11-22T00:00:00Z',
      perPage: 50,
    });
    expect(Object.fromEntries(params)).toEqual({
      MATCH_epc: 'urn:m2m-trust:device:scanner-1|urn:m2m-trust:device:meter:eu.7|urn:m2m-trust:device:robot-2',
      EQ_action: 'ADD|DELETE',
      EQ_bizStep: 'inspecting',
      EQ_disposition: 'non_conformant',
      'EQ_m2m:reason': 'SIGNATURE_INVALID',
      'EQ_m2m:actor': 'api-key:admin',
      GE_eventTime: '2026-11-21T08:00:00.000Z',
      LT_recordTime: '2026-11-22T00:00:00Z',
      perPage: '50',
    });
  });

  it('sends nothing for no filters, and raw parameters as given', () => {
    expect([...epcisQueryParams()]).toEqual([]);
    expect(Object.fromEntries(epcisQueryParams({ params: { 'EQ_m2m:sourceEventId': 'e1' } }))).toEqual({ 'EQ_m2m:sourceEventId': 'e1' });
  });
});
