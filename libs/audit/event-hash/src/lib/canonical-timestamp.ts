// ISO 8601 date-time as dateutil parses it in practice; anything else is left as it is.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)?\s*(?:([Zz]|UTC|GMT)|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** UTC, millisecond precision (microseconds rounded half-even), "Z" suffix. */
export function canonicalTimestamp(text: string): string {
  const m = TIMESTAMP.exec(text);
  if (m === null) return text;
  const year = +(m[1] as string);
  const month = +(m[2] as string);
  const day = +(m[3] as string);
  const hour = m[4] === undefined ? 0 : +m[4];
  const minute = m[5] === undefined ? 0 : +m[5];
  const second = m[6] === undefined ? 0 : +m[6];
  const micros = m[7] === undefined ? 0 : +(m[7].length >= 6 ? m[7].slice(0, 6) : m[7].padEnd(6, '0'));
  let offset = 0;
  if (m[9] !== undefined) {
    const oh = +(m[10] as string);
    const om = m[11] === undefined ? 0 : +m[11];
    if (oh > 23 || om > 59) return text;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return text;
  if (hour > 23 || minute > 59 || second > 59) return text;

  let millis = Math.floor(micros / 1000);
  const rem = micros % 1000;
  if (rem > 500 || (rem === 500 && millis % 2 === 1)) millis++;

  const dayMs = 86_400_000;
  const total = daysFromCivil(year, month, day) * dayMs + ((hour * 60 + minute - offset) * 60 + second) * 1000 + millis;
  const days = Math.floor(total / dayMs);
  let t = total - days * dayMs;
  const ms = t % 1000;
  t = (t - ms) / 1000;
  const s = t % 60;
  t = (t - s) / 60;
  const mi = t % 60;
  const h = (t - mi) / 60;
  return civilDate(days) + 'T' + pad2(h) + ':' + pad2(mi) + ':' + pad2(s) + '.' + String(ms).padStart(3, '0') + 'Z';
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** "YYYY-MM-DD" of a day count since 1970-01-01. */
function civilDate(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return String(y).padStart(4, '0') + '-' + pad2(m) + '-' + pad2(d);
}
