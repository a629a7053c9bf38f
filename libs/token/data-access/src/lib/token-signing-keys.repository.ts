import type { KeyObject } from 'node:crypto';

/**
 * One Ed25519 key of the access-token signing ring (docs/tokens.md). Keys are
 * numbered: generation n+1 is the key that follows n, and a generation is
 * stored once, which is how instances racing to rotate agree on one key.
 */
export interface StoredTokenSigningKey {
  readonly generation: number;
  /** RFC 7638 thumbprint of the public key: the JWT header's and the JWKS's `kid`. */
  readonly kid: string;
  /** The private half; a KeyObject, so that printing a key never prints its material. */
  readonly privateKey: KeyObject;
  readonly createdAt: Date;
  /** When it starts signing; it is published from the moment it is stored. */
  readonly activatesAt: Date;
}

export interface TokenSigningKeyRepository {
  /** Every stored key, by generation. */
  list(): Promise<StoredTokenSigningKey[]>;
  /** Stores the key unless its generation (or kid) is taken already: true when this call stored it. */
  add(key: StoredTokenSigningKey): Promise<boolean>;
  /** Deletes the keys of every generation below `generation` (their tokens have expired). */
  deleteBelow(generation: number): Promise<void>;
}

export const TOKEN_SIGNING_KEY_REPOSITORY = Symbol.for('m2m-trust.TokenSigningKeyRepository');
