import { ErrorCode } from '@m2m-trust/shared-domain';

import { nextScheduledInstant, parseQuerySchedule } from './query-schedule';

const schedule = (raw: unknown) => parseQuerySchedule(raw).schedule;
const next = (raw: unknown, after: string): string | null => nextScheduledInstant(schedule(raw), new Date(after))?.toISOString() ?? null;

/** What parsing throws, or null. */
function refusalOf(raw: unknown): unknown {
  try {
    return parseQuerySchedule(raw) && null;
  } catch (error) {
    return error;
  }
}

describe('EPCIS query schedules', () => {
  it('given the binding example (hour 1, minute 5), when asked after 01:05:30, then it fires every second of 01:05 that is left', () => {
    expect(next({ hour: '1', minute: '5' }, '2026-03-10T01:05:30.200Z')).toBe('2026-03-10T01:05:31.000Z');
    expect(next({ hour: '1', minute: '5' }, '2026-03-10T01:05:59.000Z')).toBe('2026-03-11T01:05:00.000Z');
  });

  it('given second 0 and minute 30 and hour 2, when asked, then it fires once a day at 02:30:00 UTC', () => {
    expect(next({ second: '0', minute: '30', hour: '2' }, '2026-03-10T02:30:00.000Z')).toBe('2026-03-11T02:30:00.000Z');
    expect(next({ second: '0', minute: '30', hour: '2' }, '2026-03-10T02:29:59.999Z')).toBe('2026-03-10T02:30:00.000Z');
  });

  it('given an empty schedule, when asked, then every whole second is a query time', () => {
    expect(next({}, '2026-12-31T23:59:59.500Z')).toBe('2027-01-01T00:00:00.000Z');
  });

  it('given lists and [low-high] ranges, when asked, then each element matches', () => {
    expect(next({ second: '0', minute: '0', dayOfWeek: '[1-5]' }, '2026-03-13T23:00:00.000Z')).toBe('2026-03-16T00:00:00.000Z'); // Friday 23:00 -> Monday
    expect(next({ second: '10,[20-22],40' }, '2026-03-10T00:00:20.000Z')).toBe('2026-03-10T00:00:21.000Z');
    expect(next({ second: '10,[20-22],40' }, '2026-03-10T00:00:22.000Z')).toBe('2026-03-10T00:00:40.000Z');
  });

  it('given day of week 7, when asked, then it is a Sunday', () => {
    expect(next({ second: '0', minute: '0', hour: '0', dayOfWeek: '7' }, '2026-03-10T00:00:00.000Z')).toBe('2026-03-15T00:00:00.000Z');
  });

  it('given month and day of month, when asked, then it waits for that date (a leap day four years on)', () => {
    expect(next({ second: '0', minute: '0', hour: '12', dayOfMonth: '29', month: '2' }, '2026-03-01T00:00:00.000Z')).toBe('2028-02-29T12:00:00.000Z');
  });

  it('given a date that never comes, when asked, then there is no query time', () => {
    expect(next({ dayOfMonth: '31', month: '4' }, '2026-01-01T00:00:00.000Z')).toBeNull();
  });

  it('keeps what the client wrote, to answer back', () => {
    expect(parseQuerySchedule({ minute: '5', hour: '1' }).spec).toEqual({ minute: '5', hour: '1' });
  });

  it.each([
    ['not an object', 'hourly'],
    ['a number', { second: 0 }],
    ['out of range', { second: '60' }],
    ['out of range below', { dayOfMonth: '0' }],
    ['a range without brackets', { second: '1-5' }],
    ['an empty range', { hour: '[5-1]' }],
    ['a wildcard', { minute: '*' }],
    ['an empty element', { minute: '1,,2' }],
    ['an unknown field', { year: '2026' }],
  ])('refuses %s as a SubscriptionControlsException', (_, raw) => {
    expect(refusalOf(raw)).toMatchObject({ code: ErrorCode.SubscriptionControlsInvalid });
  });
});
