import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface RefusedKeyVector {
  readonly name: string;
  readonly publicKey: string;
  readonly expected: 'INVALID_PUBLIC_KEY' | 'VALIDATION_FAILED';
}

/** The refused public keys of docs/protocol/vectors.json (docs/protocol.md, "Keys"): what registration must refuse. */
export const REFUSED_KEY_VECTORS: readonly RefusedKeyVector[] = (
  JSON.parse(readFileSync(resolve(__dirname, '../../docs/protocol/vectors.json'), 'utf8')) as { invalidPublicKeys: RefusedKeyVector[] }
).invalidPublicKeys;

/** Valid keys plus a point of small order: on the curve, canonical, outside the prime-order subgroup. */
export const MIXED_ORDER_KEY_VECTORS = REFUSED_KEY_VECTORS.filter((vector) => vector.name.startsWith('mixed order'));
