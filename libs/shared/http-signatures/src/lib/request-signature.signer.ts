import { type KeyObject, sign } from 'node:crypto';
import { type BareItem, type Item, serializeDictionary } from 'structured-headers';

import { contentDigest, type DigestAlgorithm } from './content-digest';
import { DEFAULT_REQUIRED_COMPONENTS, ED25519_ALGORITHM } from './request-signature.types';
import { type HttpRequestParts, signatureBase } from './signature-base';

export interface SignRequestOptions {
  /** The Ed25519 private key. */
  readonly key: KeyObject;
  /** The `keyid` parameter: a device's id on this service. */
  readonly keyId: string;
  /** The Signature-Input / Signature member name; default `sig1`. */
  readonly label?: string;
  /** Component identifiers to cover, in order; default DEFAULT_REQUIRED_COMPONENTS. */
  readonly components?: readonly string[];
  /** Default now. */
  readonly created?: Date | number;
  readonly expires?: Date | number;
  readonly nonce?: string;
  readonly tag?: string;
  /** Whether to send `alg="ed25519"` (default true); the verifier knows the algorithm from the key either way. */
  readonly includeAlg?: boolean;
  /** The digest to add when `content-digest` is covered and the request has none; default sha-256. */
  readonly digestAlgorithm?: DigestAlgorithm;
}

/** The fields to add to the request. `content-digest` only when the signer computed it. */
export interface SignatureFields {
  readonly 'content-digest'?: string;
  readonly 'signature-input': string;
  readonly signature: string;
}

const seconds = (at: Date | number): number => Math.floor(new Date(at).getTime() / 1000);

/**
 * Signs a request (RFC 9421, Ed25519), the reference for the SDKs' signers:
 * parameters in the order created, expires, nonce, keyid, alg, tag.
 */
export function signRequest(request: HttpRequestParts, options: SignRequestOptions): SignatureFields {
  const covered = options.components ?? DEFAULT_REQUIRED_COMPONENTS;
  const needsDigest = covered.includes('content-digest') && request.headers['content-digest'] === undefined;
  const digest = needsDigest ? contentDigest(request.body, options.digestAlgorithm) : undefined;
  const headers = digest === undefined ? request.headers : { ...request.headers, 'content-digest': digest };

  const params = new Map<string, BareItem>([['created', seconds(options.created ?? Date.now())]]);
  if (options.expires !== undefined) params.set('expires', seconds(options.expires));
  if (options.nonce !== undefined) params.set('nonce', options.nonce);
  params.set('keyid', options.keyId);
  if (options.includeAlg ?? true) params.set('alg', ED25519_ALGORITHM);
  if (options.tag !== undefined) params.set('tag', options.tag);

  const components: Item[] = covered.map((name) => [name, new Map()]);
  const base = signatureBase({ ...request, headers }, components, params);
  const signature = sign(null, Buffer.from(base, 'utf8'), options.key);
  const label = options.label ?? 'sig1';
  return {
    ...(digest === undefined ? {} : { 'content-digest': digest }),
    'signature-input': serializeDictionary(new Map([[label, [components, params]]])),
    signature: serializeDictionary(new Map([[label, [signature, new Map()]]])),
  };
}
