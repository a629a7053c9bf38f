import type { ErrorDetail } from '@m2m-trust/shared-domain';

import type { ErrorObject } from 'ajv';

/**
 * A schema annotation saying what a valid value looks like, added to the
 * message whenever a value fails that schema: `Type.String({ minLength: 43,
 * [VALIDATION_HINT]: 'give …' })`. An OpenAPI extension (`x-`), so the
 * served document may carry it.
 */
export const VALIDATION_HINT = 'x-hint';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The values a schema allows when it is a closed list (`const`, `enum`, or a union of those), else null. */
function allowedValues(schema: unknown): unknown[] | null {
  if (!isObject(schema)) return null;
  if ('const' in schema) return [schema['const']];
  if (Array.isArray(schema['enum'])) return schema['enum'];
  const branches = schema['anyOf'] ?? schema['oneOf'];
  if (!Array.isArray(branches)) return null;
  const lists = branches.map(allowedValues);
  return lists.every((list) => list !== null) ? lists.flat() : null;
}

const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

function oneOf(values: readonly unknown[]): string {
  return values.length === 1 ? `must be ${show(values[0])}` : `must be one of: ${values.map(show).join(', ')}`;
}

/** The allowed values an error is about, for `enum`, `const` and unions of them; null for any other error. */
function listedValues(error: ErrorObject): unknown[] | null {
  switch (error.keyword) {
    case 'enum':
      return error.params['allowedValues'] as unknown[];
    case 'const':
      return [error.params['allowedValue']];
    case 'anyOf':
    case 'oneOf':
      return allowedValues(error.parentSchema);
    default:
      return null;
  }
}

function describe(error: ErrorObject): ErrorDetail {
  if (error.keyword === 'additionalProperties') {
    const extra = String(error.params['additionalProperty']);
    return { path: `${error.instancePath}/${extra}`, message: `unknown field "${extra}"` };
  }
  if (error.keyword === 'required') {
    return { path: `${error.instancePath}/${String(error.params['missingProperty'])}`, message: 'is required' };
  }
  const values = listedValues(error);
  const message = values ? oneOf(values) : (error.message ?? 'is invalid');
  const hint = isObject(error.parentSchema) ? error.parentSchema[VALIDATION_HINT] : undefined;
  return { path: error.instancePath || '/', message: typeof hint === 'string' ? `${message}: ${hint}` : message };
}

/**
 * Ajv's errors (compiled with `verbose: true`, which gives each its schema) as
 * one line per problem: a value outside a closed list names the allowed values,
 * once, instead of one "must be equal to constant" per alternative; a schema's
 * `VALIDATION_HINT` is told with its errors.
 */
export function describeSchemaErrors(errors: readonly ErrorObject[]): ErrorDetail[] {
  // The alternatives of a closed union each fail on their own; the union's one error says it all.
  const unions = errors.filter((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && listedValues(e) !== null).map((e) => `${e.schemaPath}/`);
  const details = errors.filter((e) => !unions.some((union) => e.schemaPath.startsWith(union))).map(describe);
  const seen = new Set<string>();
  return details.filter((d) => !seen.has(`${d.path} ${d.message}`) && seen.add(`${d.path} ${d.message}`));
}
