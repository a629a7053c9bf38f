import { httpbis } from 'http-message-signatures';
import { type Item, type Parameters, serializeInnerList, serializeItem } from 'structured-headers';

/** An HTTP request as a signature sees it: framework-free, so any transport can build one. */
export interface HttpRequestParts {
  readonly method: string;
  /** The absolute target URI (RFC 9110 §7.1): scheme, authority, path and query, as the client addressed them. */
  readonly targetUri: string;
  /** Lowercased field name → value; a repeated field as an array, combined with ", " (RFC 9421 §2.1). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body's bytes exactly as received (or sent); undefined when there is none. */
  readonly body?: Uint8Array | undefined;
}

/**
 * The derived components (RFC 9421 §2.2) accepted in a covered list. Left
 * out: `@query-param` and `@status` (a response's), and every component
 * parameter (`sf`, `key`, `bs`, `req`, `tr`), which this service has no use
 * for and which widen what a verifier must get exactly right.
 */
export const DERIVED_COMPONENTS: readonly string[] = ['@method', '@target-uri', '@authority', '@scheme', '@request-target', '@path', '@query'];

/**
 * The signature base (RFC 9421 §2.5): one line per covered component, then
 * `"@signature-params"` with the canonical serialization of the covered list
 * and its parameters. The component lines come from http-message-signatures,
 * which reproduces the RFC's examples (Appendix B.2.6 in the tests); callers
 * check beforehand that every component is supported and present.
 */
export function signatureBase(request: HttpRequestParts, components: readonly Item[], params: Parameters): string {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = typeof value === 'string' ? value : [...value];
  }
  const lines = httpbis.createSignatureBase({ fields: components.map((component) => serializeItem(component)) }, { method: request.method, url: request.targetUri, headers });
  lines.push(['"@signature-params"', [signatureParamsValue(components, params)]]);
  return httpbis.formatSignatureBase(lines);
}

/** The `@signature-params` value, which is also the Signature-Input member's value. */
export function signatureParamsValue(components: readonly Item[], params: Parameters): string {
  return serializeInnerList([[...components], params]);
}
