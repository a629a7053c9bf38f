import { PLAIN_TEXT_HINT, PLAIN_TEXT_PATTERN } from '@m2m-trust/shared-domain';

import { type StringOptions, type TString, Type } from '@sinclair/typebox';

import { VALIDATION_HINT } from './schema-errors';

/**
 * A string a caller writes for people to read (a name, a label, a reason):
 * plain text as shared-domain's `plainTextProblem` defines it, refused with
 * 400 VALIDATION_FAILED otherwise, over HTTP and gRPC alike (both validate
 * with the same schema). The deciders apply the whole rule again.
 */
export const PlainTextString = (options: StringOptions): TString =>
  Type.String({ ...options, pattern: PLAIN_TEXT_PATTERN, [VALIDATION_HINT]: PLAIN_TEXT_HINT });
