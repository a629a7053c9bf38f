import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Point } from '@noble/ed25519';

import { checkPublicKey } from './ed25519.rules';

const ROOT = join(__dirname, '../../../../..');
const vectors = JSON.parse(readFileSync(join(ROOT, 'docs/protocol/vectors.json'), 'utf8')) as {
  invalidPublicKeys: { name: string; publicKey: string; validKey?: string; smallOrderPoint?: string }[];
};
const mixed = vectors.invalidPublicKeys.filter((vector) => vector.validKey !== undefined);

/** The hex keys in a table of docs/protocol.md's "Keys" section, under the line that introduces it. */
function documentedKeys(heading: string): string[] {
  const doc = readFileSync(join(ROOT, 'docs/protocol.md'), 'utf8');
  const table = doc.slice(doc.indexOf(heading)).split('\n\n')[1] ?? '';
  return [...table.matchAll(/`([0-9a-f]{64})`/g)].map((match) => match[1] as string);
}

describe('public keys of small and mixed order (docs/protocol.md, "Keys")', () => {
  it('refuses the eight small-order points the doc lists, each of order 1, 2, 4 or 8', () => {
    const points = documentedKeys('The eight small-order points');
    expect(new Set(points).size).toBe(8);
    for (const hex of points) {
      expect(Point.fromHex(hex).multiply(8n, false).is0()).toBe(true);
      expect(checkPublicKey(hex)).toEqual({ ok: false, problem: 'small_order' });
    }
  });

  it('has three mixed-order vectors, each a valid key plus a small-order point', () => {
    expect(mixed).toHaveLength(3);
    for (const vector of mixed) {
      expect(checkPublicKey(vector.validKey as string).ok).toBe(true);
      expect(checkPublicKey(vector.smallOrderPoint as string)).toEqual({ ok: false, problem: 'small_order' });
      expect(Point.fromHex(vector.validKey as string).add(Point.fromHex(vector.smallOrderPoint as string)).toHex()).toBe(vector.publicKey);
    }
  });

  it('refuses the mixed-order keys the doc lists, the same as the vectors file', () => {
    const documented = documentedKeys('Mixed-order keys');
    expect(documented).toEqual(mixed.map((vector) => vector.publicKey));
    for (const hex of documented) {
      // On the curve and canonical, not of small order itself: only the subgroup check sees it.
      expect(Point.fromHex(hex).toHex()).toBe(hex);
      expect(Point.fromHex(hex).isSmallOrder()).toBe(false);
      expect(checkPublicKey(hex)).toEqual({ ok: false, problem: 'mixed_order' });
    }
  });

  it('refuses every valid key plus every small-order point, and accepts the key alone', () => {
    const torsion = documentedKeys('The eight small-order points').map((hex) => Point.fromHex(hex));
    for (const seed of [1n, 7n, 123456789n, (1n << 200n) + 3n]) {
      const key = Point.BASE.multiply(seed);
      expect(checkPublicKey(key.toHex()).ok).toBe(true);
      for (const point of torsion.filter((t) => !t.is0())) expect(checkPublicKey(key.add(point).toHex())).toEqual({ ok: false, problem: 'mixed_order' });
    }
  });
});
