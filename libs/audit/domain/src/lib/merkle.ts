import { createHash } from 'node:crypto';

/**
 * The audit log as an RFC 9162 (RFC 6962) Merkle tree: leaf i (0-based) is
 * record seq i+1. Pure hashing and proof arithmetic; the stores keep the
 * hashes of every complete subtree, so a proof reads at most about
 * 2·log2(N) of them.
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256(0x00 || input): the hash of a leaf whose input is `input`. */
export function leafHash(input: string | Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(input).digest();
}

/** SHA-256(0x01 || left || right): the hash of an inner node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The root of a tree without leaves: SHA-256 of the empty string (RFC 9162 §2.1.1). */
export const EMPTY_TREE_ROOT: Buffer = createHash('sha256').digest();

/** A complete subtree: the 2^level leaves from index·2^level on. Level 0 holds the leaf hashes. */
export interface TreeNode {
  readonly level: number;
  readonly index: number;
}

/** A stored complete subtree with its hash. */
export interface TreeNodeHash extends TreeNode {
  readonly hash: Buffer;
}

/** Reads the hash of a stored complete subtree (synchronously: see {@link readTree}). */
export type HashReader = (level: number, index: number) => Buffer;

const isPowerOfTwo = (n: number): boolean => n > 0 && 2 ** Math.floor(Math.log2(n)) === n;

/** The largest power of two smaller than n (n > 1), RFC 9162's k. */
function split(n: number): number {
  let k = 2 ** Math.floor(Math.log2(n));
  if (k === n) k /= 2;
  return k;
}

/** The complete subtrees a tree of `size` leaves decomposes into, left to right (one per set bit of size, largest first). */
export function frontierNodes(size: number): TreeNode[] {
  const nodes: TreeNode[] = [];
  let start = 0;
  for (let level = Math.floor(Math.log2(Math.max(size, 1))); level >= 0; level--) {
    const width = 2 ** level;
    if (size - start >= width) {
      nodes.push({ level, index: start / width });
      start += width;
    }
  }
  return nodes;
}

/**
 * The right edge of a tree: the hashes of the complete subtrees of
 * {@link frontierNodes}, which is all a writer needs to append and to know the
 * root. The fold every writer of the log runs beside the hash chain.
 */
export class TreeFrontier {
  constructor(
    private leaves = 0,
    private readonly hashes: Buffer[] = [],
  ) {
    if (hashes.length !== frontierNodes(leaves).length && leaves > 0) throw new Error(`a frontier of ${leaves} leaves has ${frontierNodes(leaves).length} hashes`);
  }

  /** Restores the frontier of a stored tree of `size` leaves. */
  static restore(size: number, read: HashReader): TreeFrontier {
    return new TreeFrontier(
      size,
      size === 0 ? [] : frontierNodes(size).map((node) => read(node.level, node.index)),
    );
  }

  get size(): number {
    return this.leaves;
  }

  /**
   * Appends a leaf and reports every complete subtree it completes (the leaf
   * itself, then each parent it closes), each exactly once over the tree's
   * life: about two stored hashes per leaf.
   */
  append(leaf: Buffer, completed: (level: number, index: number, hash: Buffer) => void): void {
    let index = this.leaves;
    let hash = leaf;
    let level = 0;
    completed(level, index, hash);
    while (index % 2 === 1) {
      hash = nodeHash(this.hashes.pop() as Buffer, hash);
      index = (index - 1) / 2;
      level++;
      completed(level, index, hash);
    }
    this.hashes.push(hash);
    this.leaves++;
  }

  root(): Buffer {
    if (this.hashes.length === 0) return EMPTY_TREE_ROOT;
    let root = this.hashes[this.hashes.length - 1] as Buffer;
    for (let i = this.hashes.length - 2; i >= 0; i--) root = nodeHash(this.hashes[i] as Buffer, root);
    return root;
  }

  clone(): TreeFrontier {
    return new TreeFrontier(this.leaves, [...this.hashes]);
  }
}

/** MTH(D[start:start+size]) from stored complete subtrees (start is aligned as RFC 9162's recursion makes it). */
function subtree(read: HashReader, start: number, size: number): Buffer {
  if (isPowerOfTwo(size) && start % size === 0) return read(Math.log2(size), start / size);
  const k = split(size);
  return nodeHash(subtree(read, start, k), subtree(read, start + k, size - k));
}

/** The root of the first `size` leaves. */
export function treeRoot(read: HashReader, size: number): Buffer {
  return size === 0 ? EMPTY_TREE_ROOT : subtree(read, 0, size);
}

const checkSize = (size: number, what: string): void => {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`${what} must be a non-negative integer`);
};

/** RFC 9162 §2.1.3.1 PATH(index, D[size]): the audit path of leaf `index`, leaf side first. */
export function inclusionProof(read: HashReader, index: number, size: number): Buffer[] {
  checkSize(size, 'size');
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RangeError('the leaf index must be below the tree size');
  const path: Buffer[] = [];
  const walk = (m: number, start: number, n: number): void => {
    if (n === 1) return;
    const k = split(n);
    if (m < k) {
      walk(m, start, k);
      path.push(subtree(read, start + k, n - k));
    } else {
      walk(m - k, start + k, n - k);
      path.push(subtree(read, start, k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** RFC 9162 §2.1.4.1 PROOF(first, D[second]): empty when first is 0 or equals second. */
export function consistencyProof(read: HashReader, first: number, second: number): Buffer[] {
  checkSize(first, 'first');
  checkSize(second, 'second');
  if (first > second) throw new RangeError('the first tree size must not exceed the second');
  const proof: Buffer[] = [];
  if (first === 0 || first === second) return proof;
  const walk = (m: number, start: number, n: number, whole: boolean): void => {
    if (m === n) {
      if (!whole) proof.push(subtree(read, start, n));
      return;
    }
    const k = split(n);
    if (m <= k) {
      walk(m, start, k, whole);
      proof.push(subtree(read, start + k, n - k));
    } else {
      walk(m - k, start + k, n - k, false);
      proof.push(subtree(read, start, k));
    }
  };
  walk(first, 0, second, true);
  return proof;
}

const lsb = (n: number): number => n % 2;
const half = (n: number): number => Math.floor(n / 2);

/** The verifications' climb on the tree's right edge: while `fn` is a left child with no right sibling, up a level (RFC 9162 "until LSB(fn) is set or fn is 0"). */
function pastRightEdge(fn: number, sn: number): [number, number] {
  while (lsb(fn) === 0 && fn !== 0) {
    fn = half(fn);
    sn = half(sn);
  }
  return [fn, sn];
}

/** RFC 9162 §2.1.3.2: whether `path` proves leaf `index` (hash `leaf`) is in the tree of `size` leaves with root `root`. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (lsb(fn) === 1 || fn === sn) {
      r = nodeHash(p, r);
      [fn, sn] = pastRightEdge(fn, sn);
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && Buffer.from(r).equals(root);
}

/** RFC 9162 §2.1.4.2: whether `proof` proves the tree of `first` leaves (root `firstRoot`) is a prefix of the tree of `second` leaves (root `secondRoot`). */
export function verifyConsistency(first: number, second: number, proof: readonly Uint8Array[], firstRoot: Uint8Array, secondRoot: Uint8Array): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstRoot).equals(secondRoot);
  if (first === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (lsb(fn) === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = path[0] as Uint8Array;
  let sr: Uint8Array = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (lsb(fn) === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      [fn, sn] = pastRightEdge(fn, sn);
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return Buffer.from(fr).equals(firstRoot) && Buffer.from(sr).equals(secondRoot) && sn === 0;
}

const ZERO_HASH = Buffer.alloc(32);
const key = (level: number, index: number): string => `${level}/${index}`;

/**
 * Runs a computation over stored hashes held in an asynchronous store: first
 * with a reader that only notes which subtrees it asks for (the arithmetic
 * never depends on the hash values), then, once `fetch` has read them all in
 * one go, with the real hashes. `fetch` answers in the order asked; a missing
 * hash is an error (the tree is not stored that far).
 */
export async function readTree<T>(compute: (read: HashReader) => T, fetch: (nodes: readonly TreeNode[]) => Promise<readonly (Buffer | undefined)[]>): Promise<T> {
  const wanted = new Map<string, TreeNode>();
  compute((level, index) => {
    wanted.set(key(level, index), { level, index });
    return ZERO_HASH;
  });
  const nodes = [...wanted.values()];
  const hashes = nodes.length === 0 ? [] : await fetch(nodes);
  const found = new Map<string, Buffer>();
  nodes.forEach((node, i) => {
    const hash = hashes[i];
    if (!hash) throw new Error(`the tree has no stored hash at level ${node.level}, index ${node.index}`);
    found.set(key(node.level, node.index), hash);
  });
  return compute((level, index) => found.get(key(level, index)) as Buffer);
}
