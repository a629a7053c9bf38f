import { subscriptionError } from './subscription-error';

/** The fields of a QuerySchedule, most significant last, with the values each may take. */
const FIELDS = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
  month: [1, 12],
  dayOfWeek: [1, 7],
} as const;

export type QueryScheduleField = keyof typeof FIELDS;

/** A schedule as the client gave it (the field strings, kept to answer back and to store). */
export type QueryScheduleSpec = Partial<Record<QueryScheduleField, string>>;

/** A parsed schedule: for each field the values that match, or null when the field is omitted (any value matches). */
export type QuerySchedule = Readonly<Record<QueryScheduleField, ReadonlySet<number> | null>>;

const ELEMENT = /^(?:(\d{1,2})|\[(\d{1,2})-(\d{1,2})\])$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One QuerySchedule field, by the EPCIS grammar (1.2 §8.2.5.3, unchanged in
 * 2.0): `Element ("," Element)*`, an Element a Number or a Range
 * `"[" Number "-" Number "]"`. A value outside the field's range, a range whose
 * first number exceeds its second, or anything else is a
 * SubscriptionControlsException.
 */
function parseField(field: QueryScheduleField, raw: unknown): ReadonlySet<number> {
  const path = `schedule.${field}`;
  if (typeof raw !== 'string') throw subscriptionError(path, 'must be a string: numbers and [low-high] ranges, separated by commas');
  const [min, max] = FIELDS[field];
  const values = new Set<number>();
  for (const element of raw.split(',')) {
    const match = ELEMENT.exec(element);
    if (!match) throw subscriptionError(path, `"${raw.slice(0, 40)}" is not a list of numbers and [low-high] ranges`);
    const low = Number(match[1] ?? match[2]);
    const high = Number(match[1] ?? match[3]);
    if (low < min || high > max) throw subscriptionError(path, `values must be from ${min} to ${max}`);
    if (low > high) throw subscriptionError(path, `the range [${low}-${high}] is empty`);
    for (let value = low; value <= high; value++) values.add(value);
  }
  return values;
}

/** The `schedule` object of a subscription: only the six QuerySchedule fields, each optional. */
export function parseQuerySchedule(raw: unknown): { readonly spec: QueryScheduleSpec; readonly schedule: QuerySchedule } {
  if (!isObject(raw)) throw subscriptionError('schedule', 'must be an object of second, minute, hour, dayOfMonth, month and dayOfWeek');
  for (const key of Object.keys(raw)) if (!(key in FIELDS)) throw subscriptionError(`schedule.${key}`, 'is not a schedule field');
  const spec: Partial<Record<QueryScheduleField, string>> = {};
  const schedule = {} as Record<QueryScheduleField, ReadonlySet<number> | null>;
  for (const field of Object.keys(FIELDS) as QueryScheduleField[]) {
    const value = raw[field];
    schedule[field] = value === undefined ? null : parseField(field, value);
    if (value !== undefined) spec[field] = value as string;
  }
  return { spec, schedule };
}

const matches = (set: ReadonlySet<number> | null, value: number): boolean => set === null || set.has(value);

/** The first time of day at or after h0:m0:s0 that the schedule's hour, minute and second allow. */
function timeOfDay(schedule: QuerySchedule, h0: number, m0: number, s0: number): readonly [number, number, number] | null {
  for (let h = h0; h < 24; h++) {
    if (!matches(schedule.hour, h)) continue;
    for (let m = h === h0 ? m0 : 0; m < 60; m++) {
      if (!matches(schedule.minute, m)) continue;
      for (let s = h === h0 && m === m0 ? s0 : 0; s < 60; s++) if (matches(schedule.second, s)) return [h, m, s];
    }
  }
  return null;
}

/** Days searched for a match: 28 years, the whole cycle of weekdays over leap years, so a schedule that never matches (31 February) is found out. */
const SEARCH_DAYS = 28 * 366;
const DAY_MS = 86_400_000;

/**
 * The first query time strictly after `after`: a whole second whose second,
 * minute, hour, day of month, month and day of week (1 Monday … 7 Sunday)
 * each match the field, where an omitted field matches any value. The
 * standard lets the service choose the time zone: this one uses UTC. Null
 * when the schedule never matches (e.g. dayOfMonth 30 in month 2).
 */
export function nextScheduledInstant(schedule: QuerySchedule, after: Date): Date | null {
  const start = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  let day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  let [h0, m0, s0] = [start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds()];
  for (let i = 0; i < SEARCH_DAYS; i++, day += DAY_MS, h0 = m0 = s0 = 0) {
    const date = new Date(day);
    if (!matches(schedule.month, date.getUTCMonth() + 1) || !matches(schedule.dayOfMonth, date.getUTCDate())) continue;
    if (!matches(schedule.dayOfWeek, ((date.getUTCDay() + 6) % 7) + 1)) continue;
    const time = timeOfDay(schedule, h0, m0, s0);
    if (time) return new Date(day + ((time[0] * 60 + time[1]) * 60 + time[2]) * 1000);
  }
  return null;
}
