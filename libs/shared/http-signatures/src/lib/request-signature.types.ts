import type { KeyObject } from 'node:crypto';

/** Why a signed request was refused: stable codes, safe to show the caller (docs/http-signatures.md). */
export const SIGNATURE_REFUSAL_REASONS = [
  /** Neither Signature-Input nor Signature, or no signature under the expected label. */
  'SIGNATURE_MISSING',
  /** The fields do not parse as RFC 8941 dictionaries, or a member or parameter has the wrong type. */
  'SIGNATURE_MALFORMED',
  /** A required component is not covered, a required parameter (created, keyid) is absent, or a covered field is not in the request. */
  'COMPONENT_MISSING',
  /** A covered component this service does not derive (`@status`, `@query-param`, component parameters). */
  'COMPONENT_UNSUPPORTED',
  /** `alg` names something other than ed25519, or the key is not an Ed25519 key. */
  'ALGORITHM_UNSUPPORTED',
  /** `tag` is not the application's. */
  'TAG_MISMATCH',
  /** No key for `keyid`. */
  'KEY_UNKNOWN',
  /** The signature does not verify over the signature base. */
  'SIGNATURE_INVALID',
  /** `created` is older than the allowed age, or `expires` has passed. */
  'SIGNATURE_EXPIRED',
  /** `created` is further ahead of the verifier's clock than the allowed age. */
  'SIGNATURE_FROM_FUTURE',
  /** Content-Digest is covered and signed, but the body does not match it. */
  'CONTENT_DIGEST_MISMATCH',
  /** Content-Digest is covered but malformed or names no algorithm this service checks (sha-256, sha-512). */
  'CONTENT_DIGEST_UNSUPPORTED',
] as const;

export type SignatureRefusalReason = (typeof SIGNATURE_REFUSAL_REASONS)[number];

export interface VerifiedSignature {
  readonly ok: true;
  /** The `keyid` parameter the key was resolved by. */
  readonly keyId: string;
  /** The Signature-Input / Signature member that was verified. */
  readonly label: string;
  /** Unix seconds; null only when `requireCreated` is false and the signer sent none. */
  readonly created: number | null;
  readonly expires: number | null;
  readonly nonce: string | null;
  readonly tag: string | null;
  /** The covered component identifiers, serialized (`"@method"`, `"content-digest"`, …), in the signed order. */
  readonly components: readonly string[];
  /** The signature's bytes: replay detection keys on them. Never log them. */
  readonly signature: Uint8Array;
}

export interface RefusedSignature {
  readonly ok: false;
  readonly reason: SignatureRefusalReason;
  /** A sentence for the caller; never quotes the signature or key material. */
  readonly detail: string;
}

export type SignatureVerification = VerifiedSignature | RefusedSignature;

export interface VerifyRequestSignatureOptions {
  /** The verification key for a `keyid`, or null when there is none (unknown, or not allowed to sign). */
  resolveKey(keyId: string): Promise<KeyObject | null>;
  /** Components that must be covered; default DEFAULT_REQUIRED_COMPONENTS. */
  readonly requiredComponents?: readonly string[];
  /** Refuse a signature without `created` (default true). */
  readonly requireCreated?: boolean;
  /** `created` may be at most this many seconds old, and at most this far ahead of `now`. */
  readonly maxAgeSeconds: number;
  /** The verifier's clock; default Date.now(). */
  readonly now?: Date | number;
  /** Verify this label only; default the first member of Signature-Input. */
  readonly label?: string;
  /** When set, the signature's `tag` parameter must equal it. */
  readonly tag?: string;
}

/** What the device-auth guard asks every signed request to cover, `created` besides. */
export const DEFAULT_REQUIRED_COMPONENTS: readonly string[] = ['@method', '@target-uri', 'content-digest'];

/** The only algorithm accepted: the RFC 9421 §3.3.6 name. */
export const ED25519_ALGORITHM = 'ed25519';
