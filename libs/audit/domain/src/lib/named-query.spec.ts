import { ErrorCode } from '@m2m-trust/shared-domain';

import { decodeNamePageToken, encodeNamePageToken, parseQueryDefinition } from './named-query';

const codeOf = (body: unknown): string => {
  try {
    parseQueryDefinition(body);
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'accepted';
};

describe('named query definitions (POST /queries bodies)', () => {
  it('reads a definition in the query-schema.json form, as the /events parameters mean', () => {
    const body = {
      name: 'failed-logins.v1',
      query: {
        '@context': [{ m2m: 'https://ns.m2m-trust.org/epcis/' }],
        eventType: ['ObjectEvent'],
        EQ_bizStep: ['inspecting'],
        EQ_disposition: ['https://ref.gs1.org/cbv/Disp-non_conformant'],
        'EQ_m2m:reason': ['SIGNATURE_INVALID', 'CHALLENGE_EXPIRED'],
        GE_eventTime: '2026-01-01T00:00:00+01:00',
        orderBy: 'eventTime',
        orderDirection: 'DESC',
        eventCountLimit: 50,
      },
    };
    expect(parseQueryDefinition(body)).toEqual({
      name: 'failed-logins.v1',
      query: body.query,
      criteria: {
        eventTypes: ['ObjectEvent'],
        bizSteps: ['inspecting'],
        dispositions: ['non_conformant'],
        extensions: { reason: ['SIGNATURE_INVALID', 'CHALLENGE_EXPIRED'] },
        geEventTime: '2025-12-31T23:00:00.000Z',
        orderBy: 'eventTime',
        orderDirection: 'DESC',
        eventCountLimit: 50,
      },
    });
  });

  it('accepts an empty query: every event', () => {
    expect(parseQueryDefinition({ name: 'all', query: {} }).criteria).toEqual({});
  });

  it.each([
    ['a body that is not an object', []],
    ['a missing name', { query: {} }],
    ['a name that is not a string', { name: 5, query: {} }],
    ['a name with a slash', { name: 'a/b', query: {} }],
    ['a name too long', { name: 'q'.repeat(129), query: {} }],
    ['a missing query', { name: 'q' }],
    ['a query that is an array', { name: 'q', query: [] }],
    ['an unknown body field', { name: 'q', query: {}, schedule: {} }],
    ['a list given as a string', { name: 'q', query: { EQ_bizStep: 'inspecting' } }],
    ['a list of numbers', { name: 'q', query: { MATCH_epc: [1] } }],
    ['a time given as a number', { name: 'q', query: { GE_eventTime: 1700000000 } }],
    ['a count given as a string', { name: 'q', query: { orderBy: 'eventTime', eventCountLimit: '5' } }],
    ['a fractional count', { name: 'q', query: { maxEventCount: 1.5 } }],
  ])('refuses %s as a QueryValidationException', (_, body) => {
    expect(codeOf(body)).toBe(ErrorCode.QueryInvalid);
  });

  it('reads every value type of query-schema.json: a field no event carries selects nothing, a typed value on a String field neither', () => {
    expect(
      parseQueryDefinition({
        name: 'q',
        query: { EQ_readPoint: ['urn:epc:id:sgln:1.2.3'], GE_quantity: 2.5, EQ_quantity: [1, 2], EXISTS_errorDeclaration: null, EQ_booleanValue: true, 'EQ_m2m:reason': 5 },
      }).criteria.unsatisfiable,
    ).toEqual(['EQ_readPoint', 'GE_quantity', 'EQ_quantity', 'EXISTS_errorDeclaration', 'EQ_booleanValue', 'EQ_m2m:reason']);
    expect(parseQueryDefinition({ name: 'q', query: { EXISTS_errorDeclaration: 0, 'EXISTS_m2m:reason': null } }).criteria).toEqual({ present: ['reason'] });
  });

  it.each([
    ['a number for a list of URIs', { EQ_readPoint: 5 }],
    ['a string for a number', { GE_quantity: '5' }],
    ['a string for a boolean', { EQ_booleanValue: 'true' }],
    ['a word for an extension value', { 'EQ_m2m:reason': 'lost' }],
  ])('refuses %s as a QueryValidationException', (_, query) => {
    expect(codeOf({ name: 'q', query })).toBe(ErrorCode.QueryInvalid);
  });

  it.each([
    ['a parameter the standard does not define', { EQ_colour: ['red'] }],
    ['paging inside a query', { perPage: 10 }],
    ['a bad action', { EQ_action: ['DESTROY'] }],
    ['a time without a zone', { GE_eventTime: '2026-01-01T00:00:00' }],
    ['eventCountLimit without orderBy', { eventCountLimit: 5 }],
    ['eventCountLimit with maxEventCount', { orderBy: 'eventTime', eventCountLimit: 5, maxEventCount: 5 }],
    ['a zero maxEventCount', { maxEventCount: 0 }],
    ['an empty list', { EQ_action: [] }],
  ])('refuses %s as a QueryParameterException', (_, query) => {
    expect(codeOf({ name: 'q', query })).toBe(ErrorCode.QueryParameterInvalid);
  });

  it('pages lists by name with tokens bound to their list', () => {
    const token = encodeNamePageToken('beta', 'queries');
    expect(decodeNamePageToken(token, 'queries')).toBe('beta');
    expect(() => decodeNamePageToken(token, 'eventTypes')).toThrow(expect.objectContaining({ code: ErrorCode.QueryParameterInvalid }));
    expect(() => decodeNamePageToken('%%%', 'queries')).toThrow(expect.objectContaining({ code: ErrorCode.QueryParameterInvalid }));
  });
});
