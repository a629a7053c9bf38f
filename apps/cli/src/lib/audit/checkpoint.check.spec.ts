import { type ChainLink, EMPTY_CHAIN_TAIL, nextChainEntry, noteVerifierKey, signCheckpointNote, TreeFrontier } from '@m2m-trust/audit-domain';

import { generateKeyPairSync } from 'node:crypto';
import { CompactSign, exportJWK, type JSONWebKeySet } from 'jose';

import { CheckpointPrefix, openSavedCheckpoint, type SavedCheckpoint } from './checkpoint.check';

// The tree an export's records rebuild, held against a checkpoint saved from
// the log: the same records extend it; a cut tail or a history rewritten with
// its chain recomputed (every record hash consistent again) does not.

const ORIGIN = 'audit.example.test';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');

/** A log of `n` records: each link and leaf hash, and the tree's root and chain head at `size`. */
function log(n: number, content: (i: number) => object = (i) => ({ n: i })): { entries: { link: ChainLink; leaf: Buffer }[]; rootAt: (size: number) => Buffer } {
  const entries: { link: ChainLink; leaf: Buffer }[] = [];
  let tail = EMPTY_CHAIN_TAIL;
  for (let i = 1; i <= n; i++) {
    const entry = nextChainEntry(tail, content(i));
    entries.push(entry);
    tail = entry.link;
  }
  return {
    entries,
    rootAt: (size) => {
      const frontier = new TreeFrontier();
      for (const entry of entries.slice(0, size)) frontier.append(entry.leaf, () => undefined);
      return frontier.root();
    },
  };
}

const walk = (saved: SavedCheckpoint, entries: readonly { link: ChainLink; leaf: Buffer }[]): string | null => {
  const prefix = new CheckpointPrefix(saved);
  for (const { link, leaf } of entries) prefix.onLeaf(link, leaf);
  return prefix.fault();
};

const noteAt = (size: number, source = log(size)): SavedCheckpoint => ({
  kind: 'note',
  body: { origin: ORIGIN, size, root: source.rootAt(size), chainHead: source.entries[size - 1]?.link.hash ?? null },
});

describe('CheckpointPrefix', () => {
  const records = log(11);

  it.each([0, 1, 6, 8, 11])('finds that the records extend a note of size %i taken from them', (size) => {
    expect(walk(noteAt(size, records), records.entries)).toBeNull();
  });

  it('says the tail is gone when the export holds fewer records than the note', () => {
    expect(walk(noteAt(8, records), records.entries.slice(0, 5))).toBe('the export holds 5 records, fewer than the 8 the saved checkpoint vouches for: its tail is gone');
  });

  it('names a history rewritten before the saved size, its chain recomputed, by its tree root', () => {
    const rewritten = log(11, (i) => ({ n: i === 3 ? 'rewritten' : i }));
    expect(walk(noteAt(8, records), rewritten.entries)).toMatch(/^the export's first 8 records hash to the tree root [0-9a-f]{64}, not the saved checkpoint's [0-9a-f]{64}: the log was rewritten before the saved size$/);
  });

  it('holds an old JWS checkpoint to the hash of the record at its seq', () => {
    const jws = (seq: number, head: string): SavedCheckpoint => ({ kind: 'jws', seq, head });
    expect(walk(jws(6, records.entries[5]!.link.hash), records.entries)).toBeNull();
    expect(walk(jws(6, records.entries[5]!.link.hash), records.entries.slice(0, 4))).toMatch(/its tail is gone$/);
    expect(walk(jws(6, records.entries[5]!.link.hash), log(11, (i) => ({ n: i === 2 ? 'rewritten' : i })).entries)).toMatch(/^record 6's hash is [0-9a-f]{64}, not the chain head/);
  });
});

describe('openSavedCheckpoint', () => {
  const keys = async (): Promise<JSONWebKeySet> => ({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] });
  const records = log(5);

  it('opens a checkpoint note with the key set or the vkey, and refuses one signed by another key', async () => {
    const saved = noteAt(5, records);
    if (saved.kind !== 'note') throw new Error('a note');
    const note = signCheckpointNote(saved.body, ORIGIN, privateKey, raw);
    expect(await openSavedCheckpoint(note, await keys())).toEqual(saved);
    expect(await openSavedCheckpoint(note, { keys: [] }, noteVerifierKey(ORIGIN, raw))).toEqual(saved);
    const other = generateKeyPairSync('ed25519');
    expect(await openSavedCheckpoint(signCheckpointNote(saved.body, ORIGIN, other.privateKey, Buffer.from(other.publicKey.export({ format: 'jwk' }).x as string, 'base64url')), await keys())).toBeNull();
  });

  it('opens a JWS checkpoint (m2m-audit-checkpoint+jws) as the chain head at its seq', async () => {
    const head = records.entries[4]!.link.hash;
    const sign = (typ: string) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify({ iss: 'https://m2m.example.test', seq: 5, head, iat: 1 }))).setProtectedHeader({ alg: 'EdDSA', typ, kid: 'k1' }).sign(privateKey);
    expect(await openSavedCheckpoint(`${await sign('m2m-audit-checkpoint+jws')}\n`, await keys())).toEqual({ kind: 'jws', seq: 5, head });
    expect(await openSavedCheckpoint(await sign('m2m-audit-export+jws'), await keys())).toBeNull();
  });
});
