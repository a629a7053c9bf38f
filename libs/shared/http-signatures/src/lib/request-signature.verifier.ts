import { verify } from 'node:crypto';
import { type BareItem, type Dictionary, type InnerList, isInnerList, type Item, parseDictionary, serializeItem } from 'structured-headers';

import { checkContentDigest } from './content-digest';
import {
  DEFAULT_REQUIRED_COMPONENTS,
  ED25519_ALGORITHM,
  type RefusedSignature,
  type SignatureRefusalReason,
  type SignatureVerification,
  type VerifyRequestSignatureOptions,
} from './request-signature.types';
import { DERIVED_COMPONENTS, type HttpRequestParts, signatureBase } from './signature-base';

const ED25519_SIGNATURE_BYTES = 64;
// RFC 9421 §2.3: the parameters a signature may carry, with the type each must have.
const PARAMETER_TYPES: Record<string, 'integer' | 'string'> = { created: 'integer', expires: 'integer', nonce: 'string', alg: 'string', keyid: 'string', tag: 'string' };

const refuse = (reason: SignatureRefusalReason, detail: string): RefusedSignature => ({ ok: false, reason, detail });

const fieldValue = (headers: HttpRequestParts['headers'], name: string): string | undefined => {
  const value = headers[name];
  return value === undefined || typeof value === 'string' ? value : value.join(', ');
};

/**
 * Verifies one HTTP Message Signature (RFC 9421) on a request: Ed25519 only,
 * `keyid` required, `created` within `maxAgeSeconds` of now in both
 * directions, the required components covered, and, when `content-digest` is
 * covered, the body against it (RFC 9530). Replay is the caller's concern:
 * the result carries the signature bytes and nonce to key a seen-store on.
 */
export async function verifyRequestSignature(request: HttpRequestParts, options: VerifyRequestSignatureOptions): Promise<SignatureVerification> {
  const inputField = fieldValue(request.headers, 'signature-input');
  const signatureField = fieldValue(request.headers, 'signature');
  if (inputField === undefined && signatureField === undefined) return refuse('SIGNATURE_MISSING', 'The request carries no Signature-Input and Signature fields');
  if (inputField === undefined || signatureField === undefined) return refuse('SIGNATURE_MALFORMED', 'Signature-Input and Signature must be sent together');
  let inputs: Dictionary;
  let signatures: Dictionary;
  try {
    inputs = parseDictionary(inputField);
    signatures = parseDictionary(signatureField);
  } catch {
    return refuse('SIGNATURE_MALFORMED', 'Signature-Input and Signature must be RFC 8941 dictionaries');
  }

  const label = options.label ?? inputs.keys().next().value;
  if (label === undefined) return refuse('SIGNATURE_MISSING', 'Signature-Input has no members');
  const input = inputs.get(label);
  const signed = signatures.get(label);
  if (!input || !signed) return refuse('SIGNATURE_MISSING', `No signature labelled "${label}" in both Signature-Input and Signature`);
  if (!isInnerList(input)) return refuse('SIGNATURE_MALFORMED', `Signature-Input "${label}" must be an inner list of component identifiers`);
  if (isInnerList(signed) || !(signed[0] instanceof ArrayBuffer)) return refuse('SIGNATURE_MALFORMED', `Signature "${label}" must be a byte sequence`);

  const parameters = readParameters(input);
  if ('reason' in parameters) return parameters;
  const { created, expires, nonce, alg, keyid, tag } = parameters;
  if (keyid === null) return refuse('COMPONENT_MISSING', 'The signature must name its key with the keyid parameter');
  if ((options.requireCreated ?? true) && created === null) return refuse('COMPONENT_MISSING', 'The signature must carry the created parameter');
  if (alg !== null && alg !== ED25519_ALGORITHM) return refuse('ALGORITHM_UNSUPPORTED', `Only alg="${ED25519_ALGORITHM}" is accepted`);
  if (options.tag !== undefined && tag !== options.tag) return refuse('TAG_MISMATCH', `The signature's tag must be "${options.tag}"`);

  const components = checkComponents(input[0], request, options.requiredComponents ?? DEFAULT_REQUIRED_COMPONENTS);
  if (!Array.isArray(components)) return components as RefusedSignature;

  const now = Math.floor((options.now === undefined ? Date.now() : new Date(options.now).getTime()) / 1000);
  if (created !== null && now - created > options.maxAgeSeconds) return refuse('SIGNATURE_EXPIRED', `created is more than ${options.maxAgeSeconds} s old`);
  if (created !== null && created - now > options.maxAgeSeconds) return refuse('SIGNATURE_FROM_FUTURE', `created is more than ${options.maxAgeSeconds} s ahead of the server's clock`);
  if (expires !== null && now > expires) return refuse('SIGNATURE_EXPIRED', 'The signature expired (expires has passed)');

  const key = await options.resolveKey(keyid);
  if (!key) return refuse('KEY_UNKNOWN', 'No key is registered for this keyid');
  if (key.asymmetricKeyType !== 'ed25519') return refuse('ALGORITHM_UNSUPPORTED', 'The key for this keyid is not an Ed25519 key');

  const signature = new Uint8Array(signed[0]);
  const base = signatureBase(request, input[0], input[1]);
  if (signature.length !== ED25519_SIGNATURE_BYTES || !verify(null, Buffer.from(base, 'utf8'), key, signature)) {
    return refuse('SIGNATURE_INVALID', 'The signature does not verify over the signature base');
  }

  // After the signature: the digest field is now known to be the signer's, so a mismatch means the body changed.
  if (components.includes('"content-digest"')) {
    const digest = checkContentDigest(fieldValue(request.headers, 'content-digest') ?? '', request.body);
    if (digest === 'mismatch') return refuse('CONTENT_DIGEST_MISMATCH', 'The body does not match Content-Digest');
    if (digest !== 'match') return refuse('CONTENT_DIGEST_UNSUPPORTED', 'Content-Digest must carry a sha-256 or sha-512 digest');
  }
  return { ok: true, keyId: keyid, label, created, expires, nonce, tag, components, signature };
}

interface SignatureParameters {
  readonly created: number | null;
  readonly expires: number | null;
  readonly nonce: string | null;
  readonly alg: string | null;
  readonly keyid: string | null;
  readonly tag: string | null;
}

function readParameters(input: InnerList): SignatureParameters | RefusedSignature {
  const read: Record<string, number | string | null> = { created: null, expires: null, nonce: null, alg: null, keyid: null, tag: null };
  for (const [name, value] of input[1]) {
    const type = PARAMETER_TYPES[name];
    // Unknown parameters are signed over like any other, so they need no refusal (RFC 9421 §2.3).
    if (!type) continue;
    if (!hasType(value, type)) return refuse('SIGNATURE_MALFORMED', `The ${name} parameter must be ${type === 'integer' ? 'an integer' : 'a string'}`);
    read[name] = value;
  }
  return read as unknown as SignatureParameters;
}

function hasType(value: BareItem, type: 'integer' | 'string'): value is number | string {
  return type === 'integer' ? typeof value === 'number' && Number.isInteger(value) && value >= 0 : typeof value === 'string';
}

/** The covered identifiers, serialized, once each is known, supported and present; or why not. */
function checkComponents(items: readonly Item[], request: HttpRequestParts, required: readonly string[]): string[] | RefusedSignature {
  const serialized: string[] = [];
  const names = new Set<string>();
  for (const [name, params] of items) {
    if (typeof name !== 'string' || name !== name.toLowerCase()) return refuse('SIGNATURE_MALFORMED', 'Component identifiers must be lowercase strings');
    const identifier = serializeItem([name, params]);
    if (serialized.includes(identifier)) return refuse('SIGNATURE_MALFORMED', `${identifier} is covered twice`);
    if (params.size > 0) return refuse('COMPONENT_UNSUPPORTED', `${identifier}: component parameters are not supported`);
    if (name.startsWith('@') && !DERIVED_COMPONENTS.includes(name)) return refuse('COMPONENT_UNSUPPORTED', `${identifier} is not a supported derived component`);
    if (!name.startsWith('@') && fieldValue(request.headers, name) === undefined) return refuse('COMPONENT_MISSING', `${identifier} is covered but not in the request`);
    serialized.push(identifier);
    names.add(name);
  }
  const missing = required.filter((name) => !names.has(name));
  if (missing.length > 0) return refuse('COMPONENT_MISSING', `The signature must cover ${missing.map((name) => `"${name}"`).join(', ')}`);
  return serialized;
}
