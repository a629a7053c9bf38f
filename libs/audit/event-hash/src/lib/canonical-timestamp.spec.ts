import { canonicalTimestamp } from './canonical-timestamp';
import { eventHashPreimage } from './pre-hash-string';

describe('canonicalTimestamp', () => {
  it('canonicalises time stamps to UTC milliseconds with half-even rounding', () => {
    expect(canonicalTimestamp('2023-02-02T11:04:03.1415Z')).toBe('2023-02-02T11:04:03.142Z');
    expect(canonicalTimestamp('2023-02-02T11:04:03.1425Z')).toBe('2023-02-02T11:04:03.142Z');
    expect(canonicalTimestamp('2005-04-03T20:33:31.116000-06:00')).toBe('2005-04-04T02:33:31.116Z');
    expect(canonicalTimestamp('2024-12-31T23:59:59.9996Z')).toBe('2025-01-01T00:00:00.000Z');
    expect(canonicalTimestamp('2024-02-29T00:30:00+01:00')).toBe('2024-02-28T23:30:00.000Z');
  });

  it('is what the pre-hash string holds for an event time', () => {
    const at = (eventTime: string): string => eventHashPreimage({ type: 'ObjectEvent', eventTime, action: 'OBSERVE' });
    expect(at('2023-02-02T11:04:03.1415Z')).toContain('eventTime=2023-02-02T11:04:03.142Z');
    expect(at('2023-02-02T11:04:03.1425Z')).toContain('eventTime=2023-02-02T11:04:03.142Z');
    expect(at('2005-04-03T20:33:31.116000-06:00')).toContain('eventTime=2005-04-04T02:33:31.116Z');
    expect(at('2024-12-31T23:59:59.9996Z')).toContain('eventTime=2025-01-01T00:00:00.000Z');
    expect(at('2024-02-29T00:30:00+01:00')).toContain('eventTime=2024-02-28T23:30:00.000Z');
  });
});
