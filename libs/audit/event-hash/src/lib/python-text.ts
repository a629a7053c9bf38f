// String operations as Python does them, where the reference implementation's result depends on it.

/** Python's code point order (JS compares UTF-16 code units). */
export function comparePy(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

function isPySpace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

/** Python's str.strip(). */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPySpace(s.charCodeAt(start))) start++;
  while (end > start && isPySpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Python slice s[start:end] (negative indices count from the end). */
export function pySlice(s: string, start: number, end?: number): string {
  const n = s.length;
  const a = start < 0 ? Math.max(n + start, 0) : start;
  const b = end === undefined ? n : end < 0 ? Math.max(n + end, 0) : end;
  return a < b ? s.slice(a, b) : '';
}
