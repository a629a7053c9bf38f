import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';

/** What a signed checkpoint asserts: the chain had this head at this sequence number. */
export interface CheckpointClaims {
  readonly iss: string;
  readonly seq: number;
  readonly head: string;
  readonly iat: number;
}

export const CHECKPOINT_JWS_TYPE = 'm2m-audit-checkpoint+jws';

/**
 * Verifies a checkpoint's compact JWS (EdDSA) against a key set and returns
 * its claims, or null when the signature, type or claims do not hold.
 */
export async function verifyCheckpointJws(jws: string, keys: JSONWebKeySet): Promise<CheckpointClaims | null> {
  try {
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(keys), { algorithms: ['EdDSA'] });
    if (protectedHeader.typ !== CHECKPOINT_JWS_TYPE) return null;
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Partial<CheckpointClaims>;
    if (!Number.isSafeInteger(claims.seq) || typeof claims.head !== 'string' || !/^[0-9a-f]{64}$/.test(claims.head)) return null;
    return claims as CheckpointClaims;
  } catch {
    return null;
  }
}
