import { type SchemaCheck } from '@m2m-trust/audit-export';

import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

import { ConfigError } from '../cli.error';

/** GS1's EPCIS 2.0 JSON Schema, compiled once, checking one document or event at a time. */
export interface EpcisSchemaValidator extends SchemaCheck {
  readonly path: string;
}

/**
 * Loads the schema from `path`. It is GS1's, not shipped with m2m: the
 * operator points at their copy (e.g. EPCIS-JSON-Schema.json from GS1's
 * EPCIS repository). Its top level validates EPCIS documents and single
 * events alike (an event needs its `@context`).
 */
export function loadEpcisSchema(path: string): EpcisSchemaValidator {
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read the EPCIS JSON Schema ${path}: ${(error as Error).message}`);
  }
  let validate: ReturnType<Ajv['compile']>;
  try {
    // strict: false because GS1's schema uses keywords and formats ajv's strict mode rejects; the first error is enough.
    validate = addFormats(new Ajv({ strict: false, allErrors: false })).compile(schema as object);
  } catch (error) {
    throw new ConfigError(`${path} is not a usable JSON Schema: ${(error as Error).message}`);
  }
  return {
    path,
    check(value) {
      if (validate(value)) return null;
      const [first] = validate.errors ?? [];
      return first ? `${first.instancePath || '/'} ${first.message ?? 'is not valid'}` : 'is not valid';
    },
  };
}
