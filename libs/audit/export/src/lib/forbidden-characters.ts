import { LONE_SURROGATE_PATTERN } from '@m2m-trust/shared-domain';

/**
 * What each export format can never hold, whatever the audit log holds: the
 * log is append-only, and records written before callers' text was checked
 * (docs/epcis.md, "Strings from callers") may hold NUL and other controls.
 * Such a character is written as U+FFFD, the Unicode replacement character
 * (as a UTF-8 decoder does with bytes it cannot read): the record's other
 * fields stay readable, and the file stays what its format says it is.
 */
export const REPLACEMENT_CHARACTER = '\uFFFD';


/** Outside XML 1.0's Char production: C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF. */
const NOT_XML_CHAR = new RegExp(`[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]|${LONE_SURROGATE_PATTERN}`, 'g');

/**
 * Not text in a CSV cell: C0 controls but tab, LF and CR (which RFC 4180
 * quoting carries), DEL and C1 controls, and lone surrogates (no UTF-8 for
 * them).
 */
const NOT_CSV_TEXT = new RegExp(`[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]|${LONE_SURROGATE_PATTERN}`, 'g');

/** `value` with every character XML 1.0 forbids written as U+FFFD. */
export const xmlChars = (value: string): string => value.replace(NOT_XML_CHAR, REPLACEMENT_CHARACTER);

/** `value` with every control character and lone surrogate written as U+FFFD (line breaks and tab stay). */
export const csvChars = (value: string): string => value.replace(NOT_CSV_TEXT, REPLACEMENT_CHARACTER);
