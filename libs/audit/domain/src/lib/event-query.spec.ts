import { ErrorCode } from '@m2m-trust/shared-domain';

import { encodePageToken, parseEventQuery, queryFingerprint } from './event-query';

const fails = (params: Record<string, string>) => {
  try {
    parseEventQuery(params);
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'accepted';
};

describe('EPCIS query parameters', () => {
  it('parses the standard filters, with |-separated alternatives and CBV URIs reduced to bare words', () => {
    expect(
      parseEventQuery({
        eventType: 'ObjectEvent',
        EQ_action: 'ADD|DELETE',
        EQ_bizStep: 'https://ref.gs1.org/cbv/BizStep-inspecting|commissioning',
        EQ_disposition: 'non_conformant',
        MATCH_epc: 'urn:m2m-trust:device:a|urn:m2m-trust:device:b',
        GE_eventTime: '2026-01-01T01:00:00+01:00',
        LT_eventTime: '2026-02-01T00:00:00Z',
        'EQ_m2m:reason': 'SIGNATURE_INVALID',
        perPage: '10',
      }),
    ).toEqual({
      eventTypes: ['ObjectEvent'],
      actions: ['ADD', 'DELETE'],
      bizSteps: ['inspecting', 'commissioning'],
      dispositions: ['non_conformant'],
      epcs: ['urn:m2m-trust:device:a', 'urn:m2m-trust:device:b'],
      geEventTime: '2026-01-01T00:00:00.000Z',
      ltEventTime: '2026-02-01T00:00:00.000Z',
      extensions: { reason: ['SIGNATURE_INVALID'] },
      perPage: 10,
    });
  });

  it('accepts the extension field by its full namespace too', () => {
    expect(parseEventQuery({ 'EQ_{https://ns.m2m-trust.org/epcis/}challengeId': 'c1' }).extensions).toEqual({ challengeId: ['c1'] });
  });

  it.each([
    [{ EQ_colour: 'red' }],
    [{ EQ_action: 'add' }],
    [{ EQ_action: 'ADD|' }],
    [{ eventType: 'Event' }],
    [{ GE_eventTime: 'yesterday' }],
    [{ GE_eventTime: '2026-01-01T00:00:00' }],
    [{ perPage: '1001' }],
    [{ perPage: '1.5' }],
    [{ 'EQ_m2m:secret': 'x' }],
    [{ nextPageToken: 'garbage' }],
  ])('refuses %j as a QueryParameterException', (params) => {
    expect(fails(params)).toBe(ErrorCode.QueryParameterInvalid);
  });

  it('accepts its own page token only for the query that issued it', () => {
    const params = { EQ_action: 'ADD' };
    const token = encodePageToken(42, queryFingerprint(params));
    expect(parseEventQuery({ ...params, nextPageToken: token, perPage: '5' }).after).toBe(42);
    expect(fails({ EQ_action: 'DELETE', nextPageToken: token })).toBe(ErrorCode.QueryParameterInvalid);
  });
});
