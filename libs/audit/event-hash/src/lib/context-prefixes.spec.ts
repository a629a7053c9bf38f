import { contextPrefixes } from './context-prefixes';

describe('contextPrefixes', () => {
  it('extracts prefixes from a JSON-LD @context', () => {
    expect(contextPrefixes('https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld')).toEqual({});
    expect(
      contextPrefixes([
        'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
        { example: 'http://ns.example.com/epcis/', '@vocab': 'http://ignored/' },
        { m2m: 'https://ns.m2m-trust.org/epcis/', term: { '@id': 'http://ignored/term' } },
      ]),
    ).toEqual({ example: 'http://ns.example.com/epcis/', m2m: 'https://ns.m2m-trust.org/epcis/' });
    expect(contextPrefixes({ gs1: 'https://gs1.org/voc/' })).toEqual({ gs1: 'https://gs1.org/voc/' });
    expect(contextPrefixes(undefined)).toEqual({});
  });
});
