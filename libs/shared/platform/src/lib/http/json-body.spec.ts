import { JSON_BODY_MAX_DEPTH, loneSurrogateAt, nestsDeeperThan } from './json-body';

const nested = (depth: number): string => `${'['.repeat(depth - 1)}{"a":1}${']'.repeat(depth - 1)}`;

describe('JSON body limits', () => {
  it('counts objects and arrays inside one another, the top level as 1', () => {
    expect(nestsDeeperThan(Buffer.from(nested(JSON_BODY_MAX_DEPTH)), JSON_BODY_MAX_DEPTH)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(nested(JSON_BODY_MAX_DEPTH + 1)), JSON_BODY_MAX_DEPTH)).toBe(true);
    expect(nestsDeeperThan(Buffer.from('{"a":[1,{"b":[]}],"c":{}}'), 4)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('{"a":[1,{"b":[]}],"c":{}}'), 3)).toBe(true);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(Buffer.from(`{"a":"${'[{'.repeat(100)}\\"${'['.repeat(100)}"}`), 1)).toBe(false);
  });

  it('stops at the first level too deep, whatever follows (a million brackets cost no stack)', () => {
    expect(nestsDeeperThan(Buffer.from('['.repeat(1_000_000)), JSON_BODY_MAX_DEPTH)).toBe(true);
  });

  it('finds a lone surrogate in a string or a member name, by JSON Pointer', () => {
    expect(loneSurrogateAt(JSON.parse('{"a":{"b/c":["ok","x\\ud800"]}}'))).toBe('/a/b~1c/1');
    expect(loneSurrogateAt(JSON.parse('{"a":{"\\udc00":1}}'))).toBe('/a/\udc00');
    expect(loneSurrogateAt(JSON.parse('"\\udbff"'))).toBe('/');
    expect(loneSurrogateAt(JSON.parse('{"emoji":"\\ud83d\\udd10","n":1,"t":true,"z":null}'))).toBeNull();
  });
});
