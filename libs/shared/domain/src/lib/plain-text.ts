import { DomainError, type ErrorDetail } from './domain.error';
import { ErrorCode } from './error-code';

/**
 * The free text callers give (API-key names, device labels, revocation and
 * unlock reasons) ends up in an append-only audit log that is exported as XML,
 * JSON-LD and CSV, so it holds none of what one of those formats forbids or a
 * terminal or spreadsheet would act on (docs/epcis.md, "Strings from callers"):
 * no C0 control (U+0000 to U+001F: tab and line breaks included), no DEL or C1
 * control (U+007F to U+009F), no lone surrogate, no Unicode noncharacter
 * (U+FDD0 to U+FDEF, and the last two code points of every plane, U+FFFE and
 * U+FFFF among them).
 */

/**
 * The rule's part a JSON Schema `pattern` can say portably (ECMA-262 with or
 * without the `u` flag, and other regex dialects): the characters of the Basic
 * Multilingual Plane it forbids. Lone surrogates and the other planes'
 * noncharacters are refused by {@link plainTextProblem}, which the deciders
 * apply, and lone surrogates already by the JSON body parser.
 */
export const PLAIN_TEXT_PATTERN = '^[^\\u0000-\\u001F\\u007F-\\u009F\\uFDD0-\\uFDEF\\uFFFE\\uFFFF]*$';

/** A lone surrogate in a JavaScript string: a high one not followed by a low one, or a low one not preceded by a high one. */
export const LONE_SURROGATE_PATTERN = '[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]';

/** The rule in one sentence, for validation messages and the OpenAPI document. */
export const PLAIN_TEXT_HINT = 'control characters (U+0000 to U+001F, U+007F to U+009F, line breaks and tab included), lone surrogates and Unicode noncharacters are not allowed';

/** What kind of forbidden character a code point (or lone surrogate) is; null for one the rule allows. */
export function forbiddenCharacterKind(codePoint: number): 'control character' | 'lone surrogate' | 'noncharacter' | null {
  if (codePoint <= 0x1f || (codePoint >= 0x7f && codePoint <= 0x9f)) return 'control character';
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return 'lone surrogate';
  if ((codePoint >= 0xfdd0 && codePoint <= 0xfdef) || (codePoint & 0xfffe) === 0xfffe) return 'noncharacter';
  return null;
}

/** `U+0000`: a code point as Unicode names it. */
export const codePointName = (codePoint: number): string => `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The first character of `value` the rule forbids, as a sentence ("holds
 * U+0000 (a control character) at character 4"), or null when the text is
 * plain. Iterating a string by code points yields a lone surrogate on its own.
 */
export function plainTextProblem(value: string): string | null {
  let position = 0;
  for (const character of value) {
    position++;
    const codePoint = character.codePointAt(0) as number;
    const kind = forbiddenCharacterKind(codePoint);
    if (kind !== null) return `holds ${codePointName(codePoint)} (a ${kind}) at character ${position}: ${PLAIN_TEXT_HINT}`;
  }
  return null;
}

export const isPlainText = (value: string): boolean => plainTextProblem(value) === null;

/** The problem with a field's text, as an error detail; null when it is plain or absent. */
export function plainTextDetail(path: string, value: string | null | undefined): ErrorDetail | null {
  const problem = value === null || value === undefined ? null : plainTextProblem(value);
  return problem === null ? null : { path, message: problem };
}

/** Refuses a field that is not plain text with VALIDATION_FAILED (400, INVALID_ARGUMENT over gRPC). */
export function requirePlainText(path: string, value: string | null | undefined): void {
  const detail = plainTextDetail(path, value);
  if (detail !== null) throw new DomainError(ErrorCode.ValidationFailed, `Invalid ${path.slice(1)}: ${detail.message}`, [detail]);
}
