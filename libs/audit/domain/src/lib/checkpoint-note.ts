import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/**
 * Checkpoints of the Merkle tree as C2SP signed notes (c2sp.org/signed-note,
 * c2sp.org/tlog-checkpoint), the format transparency-log tooling reads:
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n[<extension line>\n]…\n— <key name> <base64(key hash || Ed25519 signature)>\n
 *
 * The signature covers the text up to and including the newline before the
 * blank line. Ed25519 keys are algorithm 0x01; the key hash is the first four
 * bytes of SHA-256(name || 0x0A || 0x01 || public key).
 */

const ED25519 = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';
/** The extension line that names the hash chain's head at the checkpoint's size. */
export const CHAIN_HEAD_EXTENSION = 'm2m-chain-head';

export interface CheckpointBody {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
  /** The record hash of record `size` (the hash-chain head), when size > 0. */
  readonly chainHead: string | null;
}

/** A note's Ed25519 verifier: the key name, its 4-byte key hash and the raw public key. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyHash: Buffer;
  readonly publicKey: Buffer;
}

const NAME = /^[^\s+]+$/u;

/** The schema-less form of a URL the origin line is made of: no scheme, no trailing slash. */
export function schemalessOrigin(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
}

export function noteKeyHash(name: string, publicKey: Uint8Array): Buffer {
  return createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, ED25519])).update(publicKey).digest().subarray(0, 4);
}

/** The verifier key in the note "vkey" form: `<name>+<hex key hash>+<base64(0x01 || public key)>`. */
export function noteVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!NAME.test(name)) throw new Error(`a note key name has no spaces or '+': ${name}`);
  return `${name}+${noteKeyHash(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.from([ED25519]), publicKey]).toString('base64')}`;
}

/** Parses a vkey; null when it is not an Ed25519 verifier key whose hash matches its name and key. */
export function parseVerifierKey(vkey: string): NoteVerifier | null {
  // The base64 key may itself hold '+': only the first two separate.
  const match = /^([^+]+)\+([^+]+)\+(.+)$/.exec(vkey.trim());
  if (!match) return null;
  const [, name, hash, key] = match as unknown as [string, string, string, string];
  const raw = Buffer.from(key, 'base64');
  if (!NAME.test(name) || !/^[0-9a-f]{8}$/.test(hash) || raw.length !== 33 || raw[0] !== ED25519) return null;
  const publicKey = raw.subarray(1);
  const keyHash = noteKeyHash(name, publicKey);
  return keyHash.toString('hex') === hash ? { name, keyHash, publicKey } : null;
}

/** The checkpoint's signed text. */
export function checkpointText(body: CheckpointBody): string {
  const lines = [body.origin, String(body.size), body.root.toString('base64')];
  if (body.chainHead) lines.push(`${CHAIN_HEAD_EXTENSION} ${body.chainHead}`);
  return `${lines.join('\n')}\n`;
}

/** Signs the checkpoint with an Ed25519 key under `name`. */
export function signCheckpointNote(body: CheckpointBody, name: string, privateKey: KeyObject, publicKey: Uint8Array): string {
  const text = checkpointText(body);
  const signature = sign(null, Buffer.from(text, 'utf8'), privateKey);
  return `${text}\n${SIGNATURE_PREFIX}${name} ${Buffer.concat([noteKeyHash(name, publicKey), signature]).toString('base64')}\n`;
}

const publicKeyObject = (raw: Uint8Array): KeyObject =>
  createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });

/**
 * Opens a checkpoint note: its signature by `verifier` (a signature line with
 * the verifier's name and key hash) and the checkpoint's lines. Null when the
 * note is malformed, unsigned by that key, or its signature does not hold.
 */
export function openCheckpointNote(note: string, verifier: NoteVerifier): CheckpointBody | null {
  const end = note.lastIndexOf('\n\n');
  if (end < 0 || !note.endsWith('\n')) return null;
  const text = note.slice(0, end + 1);
  const signatures = note.slice(end + 2, -1).split('\n');
  const signed = signatures.some((line) => {
    if (!line.startsWith(SIGNATURE_PREFIX)) return false;
    const [name, encoded, extra] = line.slice(SIGNATURE_PREFIX.length).split(' ');
    if (name !== verifier.name || encoded === undefined || extra !== undefined) return false;
    const raw = Buffer.from(encoded, 'base64');
    if (raw.length !== 68 || !raw.subarray(0, 4).equals(verifier.keyHash)) return false;
    return verify(null, Buffer.from(text, 'utf8'), publicKeyObject(verifier.publicKey), raw.subarray(4));
  });
  return signed ? parseCheckpointText(text) : null;
}

/** The checkpoint in a note's text (unsigned: only for a note whose signature was checked). */
export function parseCheckpointText(text: string): CheckpointBody | null {
  const lines = text.split('\n');
  if (lines.pop() !== '') return null;
  const [origin, size, root, ...extensions] = lines;
  if (!origin || !size || !/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size)) || root === undefined) return null;
  const hash = Buffer.from(root, 'base64');
  if (hash.length !== 32 || hash.toString('base64') !== root) return null;
  const head = extensions.find((line) => line.startsWith(`${CHAIN_HEAD_EXTENSION} `))?.slice(CHAIN_HEAD_EXTENSION.length + 1) ?? null;
  return { origin, size: Number(size), root: hash, chainHead: head !== null && /^[0-9a-f]{64}$/.test(head) ? head : null };
}
