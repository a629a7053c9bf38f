import { ErrorCode } from '@m2m-trust/shared-domain';

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

import { encodePageToken, parseEventQuery, queryFingerprint } from './event-query';
import { parseQueryObject } from './named-query';

/*
 * The parameter list proven against GS1's own files, so that a parameter the
 * binding defines and this repository forgets fails here: every query
 * parameter of GET /events in the REST binding's openapi.yaml (URL form), and
 * every property and name pattern of query-schema.json (the query body of
 * POST /queries).
 */

const EPCIS = resolve(__dirname, '../../../../../../shared/epcis');
type Schema = { readonly [key: string]: unknown };
const openapi = parse(readFileSync(resolve(EPCIS, 'openapi/openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, { parameters?: ({ $ref: string } | Schema)[] }>>;
  components: { parameters: Record<string, Schema>; schemas: Record<string, Schema> };
};
const querySchema = JSON.parse(readFileSync(resolve(EPCIS, 'schema/query-schema.json'), 'utf8')) as {
  definitions: Record<string, Schema> & { 'EPCIS-Query': { properties: Record<string, Schema>; patternProperties: Record<string, Schema> } };
};

const TIME = '2026-01-01T00:00:00+01:00';

/** A value of a JSON Schema's type; `definitions` resolves local `$ref`s, remote ones (the binding's stub) are strings. */
function sample(schema: Schema, definitions: Record<string, Schema>): unknown {
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const target = definitions[decodeURIComponent(ref.split('/').pop() as string)];
    return ref.startsWith('#') && target ? sample(target, definitions) : 'shipping';
  }
  const choices = (schema['oneOf'] ?? schema['anyOf']) as Schema[] | undefined;
  if (choices) return sample(choices[0] as Schema, definitions);
  if (Array.isArray(schema['enum'])) return schema['enum'][0];
  switch (schema['type']) {
    case 'array':
      return [sample(schema['items'] as Schema, definitions)];
    case 'number':
      return 2.5;
    case 'integer':
      return schema['nullable'] ? null : 5;
    case 'boolean':
      return true;
    default:
      return schema['format'] === 'date-time' ? TIME : schema['format'] === 'uri' ? 'urn:example:thing:1' : 'x';
  }
}

/** Parameters whose value, or whose company, a generic sample cannot give. */
const CONTEXT: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  orderBy: { orderBy: 'eventTime' },
  eventCountLimit: { orderBy: 'eventTime', eventCountLimit: 5 },
};

const asUrl = (value: unknown): string => (Array.isArray(value) ? value.map(String).join('|') : String(value));

describe('the query parameters of GS1 openapi.yaml (GET /events)', () => {
  const parameters = (openapi.paths['/events']?.['get']?.parameters ?? [])
    .map((p) => ('$ref' in p ? openapi.components.parameters[(p.$ref as string).split('/').pop() as string] : p) as Schema)
    .filter((p) => p['in'] === 'query');

  it('reads the binding’s parameter list', () => {
    expect(parameters.length).toBeGreaterThan(50);
  });

  it.each(parameters.map((p) => [p['name'] as string, p] as const))('accepts %s', (name, p) => {
    const value = p['example'] ?? sample(p['schema'] as Schema, openapi.components.schemas);
    const params: Record<string, string> = Object.fromEntries(Object.entries(CONTEXT[name] ?? { [name]: value }).map(([k, v]) => [k, asUrl(v)]));
    if (name === 'nextPageToken') params['nextPageToken'] = encodePageToken({ seq: 1 }, queryFingerprint({}));
    expect(() => parseEventQuery(params)).not.toThrow();
  });
});

describe('the query body of GS1 query-schema.json (POST /queries)', () => {
  const query = querySchema.definitions['EPCIS-Query'];
  const properties = Object.entries(query.properties).filter(([name]) => name !== '@context');

  it.each(properties)('accepts %s', (name, schema) => {
    expect(() => parseQueryObject(CONTEXT[name] ?? { [name]: sample(schema, querySchema.definitions) })).not.toThrow();
  });

  /**
   * A parameter name each pattern admits. GS1's file escapes its patterns
   * twice (`\\:` in the regular expression: a backslash, then a colon); the
   * names meant are `EQ_example:field`, so the test unescapes once.
   */
  const patterns = Object.entries(query.patternProperties).map(([source, schema]) => {
    const pattern = source.replace(/\\\\/g, '\\');
    const name = pattern
      .replace(/^\^|\$$/g, '')
      .replace('[a-z][a-zA-Z0-9]*\\:\\w+', 'example:field')
      .replace('[a-z][a-zA-Z0-9_]+', 'owning_party')
      .replace('[A-Z0-9]{2,4}', 'KGM')
      .replace('\\w+_\\w+', 'bizLocation_name');
    return [name, new RegExp(pattern), schema] as const;
  });

  it('reads the schema’s name patterns', () => {
    expect(patterns.length).toBeGreaterThan(100);
  });

  it.each(patterns)('accepts %s (a name its pattern admits)', (name, pattern, schema) => {
    expect(name).toMatch(pattern);
    expect(() => parseQueryObject({ [name]: sample(schema, querySchema.definitions) })).not.toThrow();
  });

  it('still refuses a name the standard does not define, as a QueryParameterException', () => {
    for (const name of ['EQ_colour', 'GT_eventTime', 'MATCH_device', 'EXISTS_bizStep', 'EQ_INNER_noprefix']) {
      expect(() => parseQueryObject({ [name]: ['x'] })).toThrow(expect.objectContaining({ code: ErrorCode.QueryParameterInvalid }));
    }
  });
});
