import { isPlainText, PLAIN_TEXT_PATTERN, plainTextProblem } from './plain-text';

/** One character of every class the rule forbids, with its name in the message. */
const FORBIDDEN: readonly (readonly [string, string])[] = [
  ['\u0000', 'U+0000 (a control character)'],
  ['\u0009', 'U+0009 (a control character)'],
  ['\n', 'U+000A (a control character)'],
  ['\u001b', 'U+001B (a control character)'],
  ['\u007f', 'U+007F (a control character)'],
  ['\u0085', 'U+0085 (a control character)'],
  ['\u009f', 'U+009F (a control character)'],
  ['\ud800', 'U+D800 (a lone surrogate)'],
  ['\udfff', 'U+DFFF (a lone surrogate)'],
  ['\ufdd0', 'U+FDD0 (a noncharacter)'],
  ['\ufffe', 'U+FFFE (a noncharacter)'],
  ['\uffff', 'U+FFFF (a noncharacter)'],
  ['\u{1fffe}', 'U+1FFFE (a noncharacter)'],
  ['\u{10ffff}', 'U+10FFFF (a noncharacter)'],
];

describe('plain text (what callers may put in names, labels and reasons)', () => {
  it.each(FORBIDDEN)('refuses %j, naming it and where it is', (character, name) => {
    expect(plainTextProblem(`ab${character}c`)).toMatch(new RegExp(`^holds ${name.replace(/[()+]/g, '\\$&')} at character 3`));
    expect(isPlainText(character)).toBe(false);
  });

  it.each(['', 'CI pipeline', 'décommissionné – 廃棄', 'emoji 🔐 (a surrogate pair is one character)', '\u00a0\u00ad\ufffd\u{1f600}\u{10fffd}', '=1+1'])('accepts %j', (text) => {
    expect(plainTextProblem(text)).toBeNull();
  });

  it('counts characters by code point, as the caller wrote them', () => {
    expect(plainTextProblem('🔐🔐\u0000')).toMatch(/at character 3:/);
  });

  it('the schema pattern refuses the rule\u2019s Basic Multilingual Plane part, with and without the u flag', () => {
    for (const flags of ['', 'u']) {
      const pattern = new RegExp(PLAIN_TEXT_PATTERN, flags);
      for (const [character] of FORBIDDEN.filter(([c]) => c.length === 1 && !/[\ud800-\udfff]/.test(c))) expect(pattern.test(`a${character}`)).toBe(false);
      expect(pattern.test('décommissionné 🔐 =1')).toBe(true);
    }
  });
});
