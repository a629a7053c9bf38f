import { ErrorCode } from '@m2m-trust/shared-domain';

import { assertPagingOnly, isSubscriptionRequest, parseSubscriptionControls } from './subscription-controls';

const codeOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'accepted';
};

describe('subscription controls of GET /queries/{name}/events', () => {
  it('recognises a subscription by its stream parameter', () => {
    expect(isSubscriptionRequest({ stream: 'true' })).toBe(true);
    expect(isSubscriptionRequest({ perPage: '5' })).toBe(false);
  });

  it('recognises a scheduled subscription by its schedule fields, parsed with the QuerySchedule grammar', () => {
    expect(isSubscriptionRequest({ minute: '5', hour: '1' })).toBe(true);
    expect(isSubscriptionRequest({ reportIfEmpty: 'true' })).toBe(false);
    const controls = parseSubscriptionControls({ minute: '5', hour: '1', reportIfEmpty: 'true', initialRecordTime: '2026-01-01T00:00:00Z' });
    expect(controls).toMatchObject({ reportIfEmpty: true, initialRecordTime: '2026-01-01T00:00:00.000Z' });
    expect(controls.schedule?.minute).toEqual(new Set([5]));
    expect(controls.schedule?.second).toBeNull();
    expect(parseSubscriptionControls({ second: '[0-59]' }).reportIfEmpty).toBe(false);
  });

  it('reads stream=true and an initialRecordTime, normalised to UTC', () => {
    expect(parseSubscriptionControls({ stream: 'true' })).toEqual({});
    expect(parseSubscriptionControls({ stream: 'true', initialRecordTime: '2026-01-01T01:00:00+01:00' })).toEqual({
      initialRecordTime: '2026-01-01T00:00:00.000Z',
    });
  });

  it.each([
    [{ stream: 'false' }],
    [{ stream: 'true', minute: '5' }],
    [{ stream: 'true', reportIfEmpty: 'true' }],
    [{ stream: 'true', perPage: '10' }],
    [{ stream: 'true', initialRecordTime: 'yesterday' }],
    [{ minute: '60' }],
    [{ minute: '5', reportIfEmpty: 'yes' }],
    [{ minute: '5', perPage: '10' }],
    [{ stream: 'false', minute: '5' }],
  ])('refuses %j as a SubscriptionControlsException', (params) => {
    expect(codeOf(() => parseSubscriptionControls(params))).toBe(ErrorCode.SubscriptionControlsInvalid);
  });

  it('refuses a query parameter on a stored query as a QueryParameterException', () => {
    expect(codeOf(() => parseSubscriptionControls({ stream: 'true', EQ_action: 'ADD' }))).toBe(ErrorCode.QueryParameterInvalid);
    expect(codeOf(() => assertPagingOnly({ EQ_action: 'ADD' }))).toBe(ErrorCode.QueryParameterInvalid);
  });

  it('takes only paging for a page of results, and asks for stream=true when given a subscription control', () => {
    expect(codeOf(() => assertPagingOnly({ perPage: '5', nextPageToken: 'x' }))).toBe('accepted');
    expect(codeOf(() => assertPagingOnly({ initialRecordTime: '2026-01-01T00:00:00Z' }))).toBe(ErrorCode.SubscriptionControlsInvalid);
  });
});
