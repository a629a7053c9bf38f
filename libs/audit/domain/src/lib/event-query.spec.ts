import { ErrorCode } from '@m2m-trust/shared-domain';

import { encodePageToken, orderDirectionOf, parseEventCriteria, parseEventQuery, queryFingerprint } from './event-query';

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

  it('takes a list as an array as well (the query body form), with the same meaning', () => {
    expect(parseEventCriteria({ EQ_action: ['ADD', 'DELETE'], 'EQ_m2m:reason': ['a|b'] })).toEqual({
      actions: ['ADD', 'DELETE'],
      // In an array a `|` is part of the value, not a separator.
      extensions: { reason: ['a|b'] },
    });
  });

  it('parses ordering and count controls', () => {
    expect(parseEventQuery({ orderBy: 'eventTime', orderDirection: 'ASC', eventCountLimit: '5' })).toEqual({
      orderBy: 'eventTime',
      orderDirection: 'ASC',
      eventCountLimit: 5,
      perPage: 100,
    });
    expect(parseEventQuery({ maxEventCount: '7' })).toEqual({ maxEventCount: 7, perPage: 100 });
  });

  it('defaults the direction as the binding does: DESC when ordered by a field, record order ascending otherwise', () => {
    expect(orderDirectionOf({ orderBy: 'recordTime' })).toBe('DESC');
    expect(orderDirectionOf({})).toBe('ASC');
    expect(orderDirectionOf({ orderDirection: 'DESC' })).toBe('DESC');
    expect(orderDirectionOf({ orderBy: 'eventTime', orderDirection: 'ASC' })).toBe('ASC');
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
    [{ MATCH_epc: 'not a uri' }],
    [{ orderBy: 'quantity' }],
    [{ orderBy: 'm2m:reason' }],
    [{ orderBy: 'eventTime', orderDirection: 'desc' }],
    [{ orderBy: 'eventTime', eventCountLimit: '0' }],
    [{ orderBy: 'eventTime', eventCountLimit: '-1' }],
    [{ orderBy: 'eventTime', eventCountLimit: '1e3' }],
    [{ eventCountLimit: '5' }],
    [{ maxEventCount: 'many' }],
    [{ orderBy: 'eventTime', eventCountLimit: '5', maxEventCount: '5' }],
  ])('refuses %j as a QueryParameterException', (params) => {
    expect(fails(params)).toBe(ErrorCode.QueryParameterInvalid);
  });

  it('accepts its own page token only for the query that issued it', () => {
    const params = { EQ_action: 'ADD' };
    const token = encodePageToken({ seq: 42 }, queryFingerprint(params));
    expect(parseEventQuery({ ...params, nextPageToken: token, perPage: '5' }).after).toEqual({ seq: 42 });
    expect(fails({ EQ_action: 'DELETE', nextPageToken: token })).toBe(ErrorCode.QueryParameterInvalid);
  });

  it('carries the order key and the remaining count in the token, and refuses a token of another ordering', () => {
    const params = { orderBy: 'eventTime', eventCountLimit: '10' };
    const cursor = { seq: 7, key: '2026-01-01T00:00:00.000Z', remaining: 3 };
    const token = encodePageToken(cursor, queryFingerprint(params));
    expect(parseEventQuery({ ...params, nextPageToken: token }).after).toEqual(cursor);
    // Same filters, other order: the position means something else there.
    expect(fails({ orderBy: 'recordTime', eventCountLimit: '10', nextPageToken: token })).toBe(ErrorCode.QueryParameterInvalid);
    // A record-order token has no key; an ordered query refuses it.
    const keyless = encodePageToken({ seq: 7 }, queryFingerprint(params));
    expect(fails({ ...params, nextPageToken: keyless })).toBe(ErrorCode.QueryParameterInvalid);
  });
});
