import { signAsync } from '@noble/ed25519';

import { decodePrivateKey, type PrivateKeyInput } from './device-keys';
import { bytesToBase64 } from './encoding';

/**
 * HTTP Message Signatures (RFC 9421) for device requests: Ed25519 with the
 * device key, keyid = device id (docs/http-signatures.md). WebCrypto only, so
 * it runs wherever the SDK does. The two fields are simple enough to write
 * by hand: an inner list of strings with integer and string parameters, and
 * a byte sequence.
 */

export type DigestAlgorithm = 'sha-256' | 'sha-512';

/** A request about to be sent. */
export interface RequestToSign {
  readonly method: string;
  /** Absolute URL, exactly where the request goes. */
  readonly url: string | URL;
  /** Header fields to send; covered fields are taken from here. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
}

export interface RequestSigningOptions {
  /** The device's id on the service: the signature's keyid. */
  readonly deviceId: string;
  readonly privateKey: PrivateKeyInput;
  /** Covered components, in order; default `@method`, `@target-uri`, `content-digest` (what the service requires). */
  readonly components?: readonly string[];
  /** Default `sig1`. */
  readonly label?: string;
  /** Default now. */
  readonly created?: Date | number;
  readonly expires?: Date | number;
  /**
   * A value the service accepts once within its window (default: 16 random bytes,
   * base64url). `false` sends none; the service then refuses the same signature twice,
   * so two identical requests within one second would collide.
   */
  readonly nonce?: string | false;
  readonly tag?: string;
  /** Send `alg="ed25519"` (default true). */
  readonly includeAlg?: boolean;
  /** For the Content-Digest the signer adds when it is covered and absent; default sha-256. */
  readonly digestAlgorithm?: DigestAlgorithm;
}

/** The header fields to add to the request. */
export interface RequestSignatureHeaders {
  readonly 'content-digest'?: string;
  readonly 'signature-input': string;
  readonly signature: string;
}

export const DEFAULT_SIGNED_COMPONENTS: readonly string[] = ['@method', '@target-uri', 'content-digest'];

const DERIVED: Record<string, (url: URL, method: string) => string> = {
  '@method': (_, method) => method.toUpperCase(),
  '@target-uri': (url) => url.href,
  '@authority': (url) => url.host,
  '@scheme': (url) => url.protocol.slice(0, -1),
  '@request-target': (url) => `${url.pathname}${url.search}`,
  '@path': (url) => url.pathname || '/',
  '@query': (url) => url.search || '?',
};

const KEY = /^[a-z*][a-z0-9_\-.*]*$/;
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** An RFC 8941 sf-string: printable ASCII, `"` and `\` escaped. */
function sfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new TypeError('Signature parameters and component names must be printable ASCII');
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

const seconds = (at: Date | number): number => Math.floor(new Date(at).getTime() / 1000);

/** The RFC 9530 `Content-Digest` value for a body, e.g. `sha-256=:X48E…:`. */
export async function contentDigest(body: Uint8Array | string | undefined, algorithm: DigestAlgorithm = 'sha-256'): Promise<string> {
  const bytes = typeof body === 'string' ? utf8(body) : (body ?? new Uint8Array());
  const digest = await globalThis.crypto.subtle.digest(algorithm === 'sha-256' ? 'SHA-256' : 'SHA-512', bytes as Uint8Array<ArrayBuffer>);
  return `${algorithm}=:${bytesToBase64(new Uint8Array(digest))}:`;
}

/**
 * The signature base (RFC 9421 §2.5) for components without parameters and
 * the given `@signature-params` value. Exported for tests and for debugging a refusal.
 */
export function requestSignatureBase(request: RequestToSign, components: readonly string[], signatureParams: string): string {
  const url = new URL(request.url);
  const headers = lowercased(request.headers);
  const lines = components.map((name) => {
    const derive = DERIVED[name];
    if (derive) return `${sfString(name)}: ${derive(url, request.method)}`;
    if (name.startsWith('@')) throw new TypeError(`The derived component ${name} is not supported`);
    const value = headers[name];
    if (value === undefined) throw new TypeError(`The covered field ${name} is not in the request's headers`);
    return `${sfString(name)}: ${value.trim()}`;
  });
  lines.push(`"@signature-params": ${signatureParams}`);
  return lines.join('\n');
}

/**
 * Signs a request for the service's device-authenticated routes. Returns the
 * fields to send with it (and Content-Digest when the signer computed it):
 * the request must go out with exactly this method, URL, covered headers and body.
 */
export async function signRequest(request: RequestToSign, options: RequestSigningOptions): Promise<RequestSignatureHeaders> {
  const components = options.components ?? DEFAULT_SIGNED_COMPONENTS;
  const label = options.label ?? 'sig1';
  if (!KEY.test(label)) throw new TypeError('A signature label is lowercase letters, digits, "_", "-", "." or "*", starting with a letter');
  for (const name of components) if (name !== name.toLowerCase()) throw new TypeError(`Component names are lowercase: ${name}`);

  const headers = lowercased(request.headers);
  const digest = components.includes('content-digest') && headers['content-digest'] === undefined ? await contentDigest(request.body, options.digestAlgorithm) : undefined;
  if (digest !== undefined) headers['content-digest'] = digest;

  const nonce = options.nonce === undefined ? randomNonce() : options.nonce;
  const params = [
    `;created=${seconds(options.created ?? Date.now())}`,
    options.expires === undefined ? '' : `;expires=${seconds(options.expires)}`,
    nonce === false ? '' : `;nonce=${sfString(nonce)}`,
    `;keyid=${sfString(options.deviceId)}`,
    options.includeAlg ?? true ? ';alg="ed25519"' : '',
    options.tag === undefined ? '' : `;tag=${sfString(options.tag)}`,
  ].join('');
  const signatureParams = `(${components.map(sfString).join(' ')})${params}`;
  const base = requestSignatureBase({ ...request, headers }, components, signatureParams);
  const signature = await signAsync(utf8(base), decodePrivateKey(options.privateKey));
  return {
    ...(digest === undefined ? {} : { 'content-digest': digest }),
    'signature-input': `${label}=${signatureParams}`,
    signature: `${label}=:${bytesToBase64(signature)}:`,
  };
}

function lowercased(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

function randomNonce(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return bytesToBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
