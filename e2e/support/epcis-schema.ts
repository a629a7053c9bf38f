import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** GS1's official EPCIS 2.0 JSON Schema, from shared/ beside the repository. */
export const EPCIS_SHARED = resolve(__dirname, '../../../shared/epcis');

let validator: ValidateFunction | undefined;

export function epcisValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(resolve(EPCIS_SHARED, 'schema/EPCIS-JSON-Schema.json'), 'utf8'));
    const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
    validator = ajv.compile(schema);
  }
  return validator;
}

/** Asserts the document validates, with ajv's errors in the failure message. */
export function expectValidEpcis(document: unknown): void {
  const validate = epcisValidator();
  const ok = validate(document);
  if (!ok) throw new Error(`not valid EPCIS 2.0: ${JSON.stringify(validate.errors, null, 2)}`);
}
