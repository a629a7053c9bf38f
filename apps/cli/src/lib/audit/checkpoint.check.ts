import {
  type CheckpointBody,
  leafHash,
  noteVerifierKey,
  openCheckpointNote,
  parseVerifierKey,
  recordBytes,
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
