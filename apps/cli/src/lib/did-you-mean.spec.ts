import { closeMatches, didYouMean } from './did-you-mean';

describe('closeMatches', () => {
  const commands = ['register', 'list', 'get', 'revoke', 'lockout', 'unlock'];

  it.each([
    ['a dropped letter', 'regster', ['register']],
    ['two swapped letters', 'revkoe', ['revoke']],
    ['another case', 'LIST', ['list']],
    ['the start of a name', 'lo', ['lockout']],
    ['nothing close', 'frobnicate', []],
    ['a word too short to guess from', 'x', []],
  ])('answers %s', (_, typed, expected) => {
    expect(closeMatches(typed, commands)).toEqual(expected);
  });

  it('keeps only the nearest, all of them when they tie, and never repeats a name', () => {
    expect(closeMatches('devices:reed', ['devices:read', 'devices:write', 'audit:read'])).toEqual(['devices:read']);
    expect(closeMatches('revoke', ['revoke', 'revoke', 'unlock'])).toEqual(['revoke']);
    expect(closeMatches('lst', ['list', 'last', 'lost', 'lust'])).toEqual(['list', 'last', 'lost']);
  });
});

describe('didYouMean', () => {
  it('says nothing without suggestions, and lists one, two or three', () => {
    expect(didYouMean([])).toBe('');
    expect(didYouMean(['--status'])).toBe(' Did you mean --status?');
    expect(didYouMean(['a', 'b'])).toBe(' Did you mean a or b?');
    expect(didYouMean(['a', 'b', 'c'])).toBe(' Did you mean a, b or c?');
  });
});
