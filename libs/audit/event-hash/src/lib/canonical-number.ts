// Python float() syntax (underscores between digits allowed).
const DIGITS = '[0-9](?:_?[0-9])*';
const PY_FLOAT = new RegExp(`^[+-]?(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.?)(?:[eE][+-]?${DIGITS})?$`);

/** Numbers are reformatted as Python's str(float(text)), integral values without ".0". */
export function numericText(text: string): string {
  const c = text.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)) return text; // 0-9 + - .
  if (!PY_FLOAT.test(text)) return text;
  const n = Number(text.includes('_') ? text.replaceAll('_', '') : text);
  return Number.isFinite(n) ? canonicalNumberText(n) : text;
}

/** Python's str() of a float, or of int(x) when x is integral. */
export function canonicalNumberText(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n)) return Number.isSafeInteger(n) ? String(n === 0 ? 0 : n) : BigInt(n).toString();
  const exp = n.toExponential(); // shortest round-trip digits, like Python's repr
  const neg = exp.charCodeAt(0) === 45;
  const ePos = exp.indexOf('e');
  const mantissa = exp.slice(neg ? 1 : 0, ePos);
  const e10 = Number(exp.slice(ePos + 1));
  const digits = mantissa.length > 1 ? mantissa.charAt(0) + mantissa.slice(2) : mantissa;
  const point = e10 + 1;
  let body: string;
  if (point > 16 || point < -3) {
    const abs = e10 < 0 ? -e10 : e10;
    body = mantissa + 'e' + (e10 < 0 ? '-' : '+') + (abs < 10 ? '0' : '') + abs;
  } else if (point <= 0) {
    body = '0.' + '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    body = digits + '0'.repeat(point - digits.length) + '.0';
  } else {
    body = digits.slice(0, point) + '.' + digits.slice(point);
  }
  return neg ? '-' + body : body;
}
