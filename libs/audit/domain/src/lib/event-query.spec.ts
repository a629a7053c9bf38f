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
    [{ EQ_bizstep: 'inspecting' }],
    [{ GT_eventTime: '2026-01-01T00:00:00Z' }],
    [{ EXISTS_bizStep: '' }],
    [{ 'EXISTS_m2m:reason': 'yes' }],
    [{ EQ_quantity: 'five' }],
    [{ GE_quantity: '1|2' }],
    [{ EQ_booleanValue: 'yes' }],
    [{ GE_errorDeclarationTime: 'soon' }],
    [{ EQ_readPoint: 'not a uri' }],
    [{ 'GT_m2m:reason': 'abc' }],
    [{ EQ_value_celsius: '3' }],
    [{ eventType: 'ObjectEvent|custom' }],
    [{ nextPageToken: 'garbage' }],
    [{ MATCH_epc: 'not a uri' }],
    [{ orderBy: 'quantity' }],
    [{ orderBy: 'bizStep' }],
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

  it('reads conditions on fields no audit event carries as unsatisfiable, and EXISTS_errorDeclaration=false as no condition', () => {
    expect(parseEventCriteria({ EQ_readPoint: 'urn:epc:id:sgln:0614141.07346.1234', 'GE_quantity_KGM': '2', EQ_action: 'ADD' })).toEqual({
      actions: ['ADD'],
      unsatisfiable: ['EQ_readPoint', 'GE_quantity_KGM'],
    });
    expect(parseEventCriteria({ EXISTS_errorDeclaration: 'false' })).toEqual({});
    expect(parseEventCriteria({ EXISTS_errorDeclaration: '' })).toEqual({ unsatisfiable: ['EXISTS_errorDeclaration'] });
  });

  it('reads extension fields in every spelling of the namespace, and conditions on fields this log never writes as unsatisfiable', () => {
    expect(parseEventCriteria({ 'EXISTS_https://ns.m2m-trust.org/epcis/#reason': '', 'EQ_m2m:tokenId': 'a|b' })).toEqual({
      present: ['reason'],
      extensions: { tokenId: ['a', 'b'] },
    });
    expect(parseEventCriteria({ 'EQ_m2m:secret': 'x', 'EQ_example:field': 'y', 'LT_m2m:lockedUntil': '2026-01-01T00:00:00Z' }).unsatisfiable).toEqual([
      'EQ_m2m:secret',
      'EQ_example:field',
      'LT_m2m:lockedUntil',
    ]);
  });

  it('orders by an extension field of ours, and by one no event carries as in record order', () => {
    expect(parseEventCriteria({ orderBy: 'm2m:reason', eventCountLimit: '3' })).toEqual({ orderBy: 'm2m:reason', eventCountLimit: 3 });
    expect(parseEventCriteria({ orderBy: 'example:rank', eventCountLimit: '3' })).toEqual({ eventCountLimit: 3 });
  });

  it('makes MATCH_epc and MATCH_anyEPC both hold', () => {
    expect(parseEventCriteria({ MATCH_epc: 'urn:a|urn:b', MATCH_anyEPC: 'urn:b|urn:c' })).toEqual({ epcs: ['urn:b'] });
    expect(parseEventCriteria({ MATCH_epc: 'urn:a', MATCH_anyEPC: 'urn:c' }).unsatisfiable).toEqual(['MATCH_anyEPC']);
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
