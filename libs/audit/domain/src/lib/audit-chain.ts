import { computeEventHashId } from '@m2m-trust/audit-event-hash';

import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

import { EPCIS_PREFIXES } from './epcis-vocabulary';
import { leafHash } from './merkle';

/** The hash a chain starts from: the "previous hash" of record 1. */
export const GENESIS_HASH = '0'.repeat(64);

/** Where a record stands in the chain. */
export interface ChainLink {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** Names under which an exported event carries its chain link (stripped before any hash is recomputed). */
export const CHAIN_FIELDS = { seq: 'm2m:seq', prevHash: 'm2m:prevHash', hash: 'm2m:recordHash' } as const;

/**
 * SHA-256 over the RFC 8785 canonical JSON of { seq, prevHash, event }: the
 * record's place, its predecessor and its content, so editing, removing or
 * reordering any record changes every hash after it. Canonical JSON makes the
 * hash independent of how a copy of the event was formatted.
 */
export function recordHash(seq: number, prevHash: string, event: object): string {
  return createHash('sha256').update(recordBytes(seq, prevHash, event), 'utf8').digest('hex');
}

/**
 * The record's canonical bytes: the RFC 8785 JSON of { seq, prevHash, event }.
 * Their SHA-256 is the record hash; they are also the record's leaf input in
 * the Merkle tree (leaf hash = SHA-256(0x00 || these bytes)), so one
 * canonicalisation serves both and the tree commits to the chain as well.
 */
export function recordBytes(seq: number, prevHash: string, event: object): string {
  const canonical = canonicalize({ seq, prevHash, event });
  if (canonical === undefined) throw new Error('event cannot be canonicalised');
  return canonical;
}

/** Where a chain ends: its last record's seq and record hash. A {@link ChainLink} is the tail of the chain it ends. */
export type ChainTail = Pick<ChainLink, 'seq' | 'hash'>;

/** The tail of a chain without records: record 1 follows the genesis hash. */
export const EMPTY_CHAIN_TAIL: ChainTail = { seq: 0, hash: GENESIS_HASH };

/**
 * The step every writer of the log folds its records with: the record after
 * `tail` takes the next seq, `tail`'s hash as its previous hash, and its own
 * record hash. The returned link is the tail for the record after it.
 */
export function nextChainLink(tail: ChainTail, event: object): ChainLink {
  const seq = tail.seq + 1;
  return { seq, prevHash: tail.hash, hash: recordHash(seq, tail.hash, event) };
}

/** A new record's link and its Merkle leaf hash, from one canonicalisation of the record. */
export interface ChainEntry {
  readonly link: ChainLink;
  readonly leaf: Buffer;
}

/** {@link nextChainLink} plus the record's leaf hash: the step writers that also keep the Merkle tree fold with. */
export function nextChainEntry(tail: ChainTail, event: object): ChainEntry {
  const seq = tail.seq + 1;
  const bytes = Buffer.from(recordBytes(seq, tail.hash, event), 'utf8');
  return { link: { seq, prevHash: tail.hash, hash: createHash('sha256').update(bytes).digest('hex') }, leaf: leafHash(bytes) };
}

export function withChainLink(event: Readonly<Record<string, unknown>>, link: ChainLink): Record<string, unknown> {
  return { ...event, [CHAIN_FIELDS.seq]: link.seq, [CHAIN_FIELDS.prevHash]: link.prevHash, [CHAIN_FIELDS.hash]: link.hash };
}

/** Splits an exported event into the stored event and its chain link; null when a link field is missing or malformed. */
export function splitChainLink(exported: Readonly<Record<string, unknown>>): { event: Record<string, unknown>; link: ChainLink } | null {
  const { [CHAIN_FIELDS.seq]: seq, [CHAIN_FIELDS.prevHash]: prevHash, [CHAIN_FIELDS.hash]: hash, ...event } = exported;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1 || !isHash(prevHash) || !isHash(hash)) return null;
  return { event, link: { seq: seq as number, prevHash: prevHash as string, hash: hash as string } };
}

const isHash = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);

export type ChainProblem =
  | 'event_id_mismatch' // the event's content no longer matches its CBV event hash ID
  | 'record_hash_mismatch' // the record was edited
  | 'broken_link' // a record was removed, inserted or reordered before this one
  | 'sequence_gap'; // a sequence number was skipped or repeated

export interface ChainFault {
  readonly seq: number;
  readonly problem: ChainProblem;
}

/**
 * Walks records in order and names the first one that is not what the chain
 * says it should be. `contiguous: false` (a filtered export) checks each record
 * on its own; otherwise every record must follow the previous one.
 */
export class ChainVerifier {
  private previous: ChainLink | null;
  private count = 0;

  /**
   * `after`: the link the walk resumes from (a checkpoint); omitted, the walk
   * starts at record 1. `onLeaf`: told each record that holds, with its Merkle
   * leaf hash, from the same canonical bytes its record hash was checked over
   * (so a reader can rebuild the tree of what it walked).
   */
  constructor(private readonly options: { contiguous: boolean; after?: ChainLink; onLeaf?: (link: ChainLink, leaf: Buffer) => void } = { contiguous: true }) {
    this.previous = options.after ?? null;
  }

  get verified(): number {
    return this.count;
  }

  get head(): ChainLink | null {
    return this.previous;
  }

  check(event: Readonly<Record<string, unknown>>, link: ChainLink): ChainFault | null {
    const bytes = Buffer.from(recordBytes(link.seq, link.prevHash, event), 'utf8');
    const fault = this.problemOf(event, link, bytes);
    if (fault) return { seq: link.seq, problem: fault };
    this.previous = link;
    this.count++;
    this.options.onLeaf?.(link, leafHash(bytes));
    return null;
  }

  private problemOf(event: Readonly<Record<string, unknown>>, link: ChainLink, bytes: Buffer): ChainProblem | null {
    const { eventID, ...content } = event;
    if (typeof eventID !== 'string' || computeEventHashId(content, EPCIS_PREFIXES) !== eventID) return 'event_id_mismatch';
    if (createHash('sha256').update(bytes).digest('hex') !== link.hash) return 'record_hash_mismatch';
    if (this.options.contiguous) {
      // Record 1 follows the genesis hash; every other record follows the one before it.
      if (link.seq !== (this.previous ? this.previous.seq + 1 : 1)) return 'sequence_gap';
      if (link.prevHash !== (this.previous ? this.previous.hash : GENESIS_HASH)) return 'broken_link';
    } else if (this.previous !== null && link.seq <= this.previous.seq) {
      return 'sequence_gap';
    }
    return null;
  }
}
