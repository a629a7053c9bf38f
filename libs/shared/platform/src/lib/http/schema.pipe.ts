import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import type { TSchema } from '@sinclair/typebox';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

import { describeSchemaErrors } from './schema-errors';

// verbose: each error carries its schema, for the allowed values and hints it reports.
const ajv = addFormats(new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true, strict: false, verbose: true }));

/**
 * Validates a body, query or params object against a JSON Schema compiled
 * once. Unknown fields are refused, not stripped: a typo is an error.
 */
@Injectable()
export class SchemaPipe<T> implements PipeTransform<unknown, T> {
  private readonly validate: ValidateFunction<T>;

  /** The schema is public: the OpenAPI document declares a route's parameters from it (completeOpenApiDocument). */
  constructor(readonly schema: TSchema) {
    this.validate = ajv.compile<T>(schema);
  }

  transform(value: unknown, metadata: ArgumentMetadata): T {
    const input = value === undefined && metadata.type === 'body' ? {} : value;
    if (this.validate(input)) return input;
    const details = describeSchemaErrors(this.validate.errors ?? []);
    const where = metadata.type === 'body' ? 'request body' : metadata.type;
    throw new DomainError(ErrorCode.ValidationFailed, `Invalid ${where}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
  }
}
