import { generateKeyPairSync } from 'node:crypto';

import { noteVerifierKey, openCheckpointNote, parseVerifierKey, signCheckpointNote } from './checkpoint-note';
import {
  consistencyProof,
  EMPTY_TREE_ROOT,
  type HashReader,
  inclusionProof,
  leafHash,
  nodeHash,
  readTree,
  TreeFrontier,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from './merkle';

/** RFC 9162 §2.1.1's MTH, written straight from its definition over the leaf hashes. */
function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_TREE_ROOT;
  if (leaves.length === 1) return leaves[0] as Buffer;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** Appends `n` leaves through the frontier, keeping every completed subtree as a store would. */
function build(n: number): { leaves: Buffer[]; read: HashReader; stored: number; frontier: TreeFrontier } {
  const stored = new Map<string, Buffer>();
  const frontier = new TreeFrontier();
  const leaves: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const leaf = leafHash(`leaf ${i}`);
    leaves.push(leaf);
    frontier.append(leaf, (level, index, hash) => {
      expect(stored.has(`${level}/${index}`)).toBe(false);
      stored.set(`${level}/${index}`, hash);
    });
  }
  const read: HashReader = (level, index) => {
    const hash = stored.get(`${level}/${index}`);
    if (!hash) throw new Error(`not stored: ${level}/${index}`);
    return hash;
  };
  return { leaves, read, stored: stored.size, frontier };
}

describe('the Merkle tree (RFC 9162)', () => {
  it('hashes the reference vectors of RFC 6962 implementations', () => {
    // certificate-transparency's test leaves: the roots of the first 1 and 8 of them.
    const inputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((hex) => leafHash(Buffer.from(hex, 'hex')));
    expect(EMPTY_TREE_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(mth(inputs.slice(0, 1)).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(mth(inputs).toString('hex')).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  });

  it('keeps the root of every size through the frontier and from the stored subtrees, about two hashes a leaf', () => {
    const { leaves, read, stored, frontier } = build(67);
    expect(stored).toBeLessThanOrEqual(2 * 67);
    expect(frontier.root()).toEqual(mth(leaves));
    for (let size = 0; size <= 67; size++) expect(treeRoot(read, size)).toEqual(mth(leaves.slice(0, size)));
    expect(TreeFrontier.restore(67, read).root()).toEqual(mth(leaves));
  });

  it('proves every leaf included in every tree that holds it, and refuses a wrong leaf, index or root', () => {
    const { leaves, read } = build(33);
    for (let size = 1; size <= 33; size++) {
      const root = mth(leaves.slice(0, size));
      for (let index = 0; index < size; index++) {
        const path = inclusionProof(read, index, size);
        expect(path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
        expect(verifyInclusion(index, size, leaves[index] as Buffer, path, root)).toBe(true);
        expect(verifyInclusion(index, size, leafHash('other'), path, root)).toBe(false);
        if (size > 1) expect(verifyInclusion((index + 1) % size, size, leaves[index] as Buffer, path, root)).toBe(false);
        expect(verifyInclusion(index, size, leaves[index] as Buffer, path, mth([leafHash('edited'), ...leaves.slice(1, size)]))).toBe(false);
      }
    }
    expect(() => inclusionProof(read, 5, 5)).toThrow(RangeError);
  });

  it('proves every smaller tree consistent with every larger one, and refuses a rewritten history', () => {
    const { leaves, read } = build(33);
    const rewritten = build(33).leaves.map((leaf, i) => (i === 3 ? leafHash('rewritten') : leaf));
    for (let second = 1; second <= 33; second++) {
      const secondRoot = mth(leaves.slice(0, second));
      for (let first = 1; first <= second; first++) {
        const proof = consistencyProof(read, first, second);
        expect(verifyConsistency(first, second, proof, mth(leaves.slice(0, first)), secondRoot)).toBe(true);
        if (first > 3) expect(verifyConsistency(first, second, proof, mth(rewritten.slice(0, first)), secondRoot)).toBe(false);
        if (first < second) expect(verifyConsistency(first, second, proof, mth(leaves.slice(0, first)), mth(leaves.slice(0, second - 1)))).toBe(false);
      }
    }
    expect(verifyConsistency(0, 9, [], EMPTY_TREE_ROOT, mth(leaves.slice(0, 9)))).toBe(true);
    expect(() => consistencyProof(read, 9, 8)).toThrow(RangeError);
  });

  it('reads what a proof needs from an asynchronous store in one go, no more than 2·log2(N) hashes', async () => {
    const { leaves, read } = build(1000);
    const asked: number[] = [];
    const fetch = async (nodes: readonly { level: number; index: number }[]): Promise<Buffer[]> => {
      asked.push(nodes.length);
      return nodes.map((node) => read(node.level, node.index));
    };
    const path = await readTree((r) => inclusionProof(r, 700, 1000), fetch);
    expect(verifyInclusion(700, 1000, leaves[700] as Buffer, path, mth(leaves))).toBe(true);
    const proof = await readTree((r) => consistencyProof(r, 333, 1000), fetch);
    expect(verifyConsistency(333, 1000, proof, mth(leaves.slice(0, 333)), mth(leaves))).toBe(true);
    expect(asked.every((n) => n <= 2 * Math.log2(1000))).toBe(true);
    await expect(readTree((r) => treeRoot(r, 10), async (nodes) => nodes.map(() => undefined))).rejects.toThrow(/no stored hash/);
  });
});

describe('checkpoint notes (C2SP signed-note, tlog-checkpoint)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  const body = { origin: 'audit.example/log', size: 42, root: leafHash('x'), chainHead: 'ab'.repeat(32) };

  it('signs a note that opens with its verifier key, and not with another key or once edited', () => {
    const note = signCheckpointNote(body, body.origin, privateKey, raw);
    expect(note).toMatch(/^audit\.example\/log\n42\n[A-Za-z0-9+/]{43}=\nm2m-chain-head (ab){32}\n\n\u2014 audit\.example\/log [A-Za-z0-9+/]{91}=\n$/);
    const verifier = parseVerifierKey(noteVerifierKey(body.origin, raw));
    expect(verifier).not.toBeNull();
    expect(openCheckpointNote(note, verifier!)).toEqual(body);
    expect(openCheckpointNote(note.replace('\n42\n', '\n41\n'), verifier!)).toBeNull();
    const other = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x as string, 'base64url');
    expect(openCheckpointNote(note, parseVerifierKey(noteVerifierKey(body.origin, other))!)).toBeNull();
  });

  it('refuses a verifier key whose hash does not match its name and key', () => {
    const vkey = noteVerifierKey('a.example', raw);
    expect(parseVerifierKey(vkey.replace(/^a\.example/, 'b.example'))).toBeNull();
    expect(parseVerifierKey('nonsense')).toBeNull();
  });
});
