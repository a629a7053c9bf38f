import {
  type ChainLink,
  type CheckpointBody,
  EMPTY_TREE_ROOT,
  leafHash,
  noteVerifierKey,
  openCheckpointNote,
  parseVerifierKey,
  recordBytes,
  TreeFrontier,
  verifyCheckpointJws,
  verifyConsistency,
  verifyInclusion,
} from '@m2m-trust/audit-domain';

import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';

import type { OptionSpec } from '../cli.command';
import { ConfigError } from '../cli.error';

/** --vkey, shared by the commands that check checkpoint notes. */
export const VKEY_OPTION: OptionSpec = { type: 'string', value: 'VKEY', description: 'the note verifier key to check checkpoint notes with (GET /epcis/checkpoints/vkey)' };

/** The Ed25519 public keys of a key set (the audit key signs both the JWS checkpoints and the notes). */
function ed25519Keys(keys: JSONWebKeySet): Buffer[] {
  return keys.keys.filter((key) => key.kty === 'OKP' && key.crv === 'Ed25519' && typeof key.x === 'string').map((key) => Buffer.from(key.x as string, 'base64url'));
}

/**
 * Opens a checkpoint note with one of the audit keys, under the note's own
 * origin line (the key's name); with `vkey` (a note verifier key), only with
 * that. Null when no key signed it.
 */
export function openNote(note: string, keys: JSONWebKeySet | null, vkey?: string): CheckpointBody | null {
  const origin = note.slice(0, note.indexOf('\n'));
  const verifiers = vkey !== undefined ? [parseVerifierKey(vkey)] : ed25519Keys(keys ?? { keys: [] }).map((key) => parseVerifierKey(noteVerifierKey(origin, key)));
  for (const verifier of verifiers) {
    const opened = verifier ? openCheckpointNote(note, verifier) : null;
    if (opened) return opened;
  }
  return null;
}

export function readNoteFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the checkpoint ${path}: ${(error as Error).message}`);
  }
}

const hashes = (list: unknown): Buffer[] | null =>
  Array.isArray(list) && list.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h)) ? list.map((h: string) => Buffer.from(h, 'hex')) : null;

/** Whether a consistency proof (as GET /epcis/checkpoints/consistency answers it) takes the saved tree to the newer one. */
export function consistencyHolds(saved: CheckpointBody, current: CheckpointBody, proof: unknown): boolean {
  const path = hashes(proof);
  return path !== null && verifyConsistency(saved.size, current.size, path, saved.root, current.root);
}

/** Whether an inclusion proof (as GET /epcis/events/{id}/proof answers it) puts this event, at its link, in the checkpoint's tree. */
export function inclusionHolds(checkpoint: CheckpointBody, event: object, answer: { seq?: unknown; prevHash?: unknown; auditPath?: unknown }): boolean {
  const path = hashes(answer.auditPath);
  if (path === null || !Number.isSafeInteger(answer.seq) || typeof answer.prevHash !== 'string') return false;
  const seq = answer.seq as number;
  return verifyInclusion(seq - 1, checkpoint.size, leafHash(recordBytes(seq, answer.prevHash, event)), path, checkpoint.root);
}

/**
 * A checkpoint saved earlier, its signature checked: a C2SP checkpoint note
 * (tree size and root), or a JWS checkpoint of the hash chain alone, as the
 * service signed them before the tree (`m2m-audit-checkpoint+jws`: the chain
 * head at a sequence number).
 */
export type SavedCheckpoint =
  | { readonly kind: 'note'; readonly body: CheckpointBody }
  | { readonly kind: 'jws'; readonly seq: number; readonly head: string };

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Opens a saved checkpoint, a note or a JWS, with the audit keys (a note also with `vkey`); null when no key signed it. */
export async function openSavedCheckpoint(text: string, keys: JSONWebKeySet, vkey?: string): Promise<SavedCheckpoint | null> {
  if (COMPACT_JWS.test(text.trim())) {
    const claims = await verifyCheckpointJws(text.trim(), keys);
    return claims === null ? null : { kind: 'jws', seq: claims.seq, head: claims.head };
  }
  const body = openNote(text, keys, vkey);
  return body === null ? null : { kind: 'note', body };
}

/** What the saved checkpoint vouches for, in a line of the report. */
export function describeSaved(path: string, saved: SavedCheckpoint): string {
  return saved.kind === 'note'
    ? `${path}: tree size ${saved.body.size}, root ${saved.body.root.toString('hex')} (${saved.body.origin})`
    : `${path}: JWS checkpoint, chain head ${saved.head} at record ${saved.seq}`;
}

/** The saved checkpoint's size: the records it vouches for. */
export const savedSize = (saved: SavedCheckpoint): number => (saved.kind === 'note' ? saved.body.size : saved.seq);

/**
 * The Merkle tree of an export's records, rebuilt leaf by leaf as the walk
 * checks them (`onLeaf`), held at the saved checkpoint's size: its root and
 * the chain link of its last record, to compare with what the checkpoint
 * signs.
 */
export class CheckpointPrefix {
  private readonly frontier = new TreeFrontier();
  private root: Buffer | null;
  private last: ChainLink | null = null;
  private readonly size: number;

  constructor(private readonly saved: SavedCheckpoint) {
    this.size = savedSize(saved);
    this.root = this.size === 0 ? EMPTY_TREE_ROOT : null;
  }

  readonly onLeaf = (link: ChainLink, leaf: Buffer): void => {
    if (this.frontier.size >= this.size) return;
    this.frontier.append(leaf, () => undefined);
    if (this.frontier.size === this.size) {
      this.root = this.frontier.root();
      this.last = link;
    }
  };

  /** Null when the walked records extend the saved checkpoint; otherwise why they do not. */
  fault(): string | null {
    const { saved, size } = this;
    if (this.root === null) return `the export holds ${this.frontier.size} records, fewer than the ${size} the saved checkpoint vouches for: its tail is gone`;
    const head = saved.kind === 'note' ? saved.body.chainHead : saved.head;
    if (saved.kind === 'note' && !this.root.equals(saved.body.root)) {
      return `the export's first ${size} records hash to the tree root ${this.root.toString('hex')}, not the saved checkpoint's ${saved.body.root.toString('hex')}: the log was rewritten before the saved size`;
    }
    if (head !== null && this.last !== null && this.last.hash !== head) {
      return `record ${size}'s hash is ${this.last.hash}, not the chain head ${head} the saved checkpoint signs: the log was rewritten up to the saved size`;
    }
    return null;
  }

  /** What was proven, once {@link fault} is null. */
  proven(): string {
    return this.saved.kind === 'note'
      ? `the export's first ${this.size} records hash to the saved root (RFC 9162): the export extends the saved checkpoint`
      : `record ${this.size}'s hash is the saved chain head: the export extends the saved checkpoint`;
  }
}
