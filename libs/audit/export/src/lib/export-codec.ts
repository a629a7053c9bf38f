import { type ChainLink } from '@m2m-trust/audit-domain';

import { type BodyWalker, type SchemaCheck } from './export-body';
import { type ExportFormat, type ExportManifest } from './export-manifest';

/**
 * Turns records into one export format, a piece at a time, so an export
 * streams in flat memory. A document format (JSON-LD, XML) writes the events
 * exactly as stored, then a chain section of their links, in the same order,
 * outside the events (GS1's event hash covers every field of an event, so a
 * link inside one would break its eventID); the writer is fed the records
 * twice: once for the events, once for the links. CSV writes one row per
 * record with its link as columns and has no chain section.
 */
export interface ExportWriter {
  readonly contentType: string;
  readonly extension: string;
  /** Whether the body has a chain section after the events (then the records are fed again to {@link link}). */
  readonly chained: boolean;
  /** Whether the manifest is written into the file after the body, or served beside it (CSV: a plain table). */
  readonly embedsManifest: boolean;
  start(creationDate: string): string;
  record(event: Readonly<Record<string, unknown>>, link: ChainLink): string;
  /** Closes the events and opens the chain section (chained formats only). */
  openChain(): string;
  /** One record's link in the chain section. */
  link(link: ChainLink): string;
  /** The end of the body: the last bytes the manifest's hash covers. */
  end(): string;
  /** Appended after the body: the signed manifest, in the format's own syntax ('' when it is served beside the file). */
  manifest(jws: string): string;
}

/** Random access to the export file being verified: `length` bytes from `position` (fewer at its end). */
export type ReadAt = (position: number, length: number) => Buffer;

export interface WalkerOptions {
  /** The manifest, its signature already verified: whether the export is complete, where its chain section starts. */
  readonly manifest: ExportManifest;
  readonly schema: SchemaCheck | undefined;
  /** The file, for a walker that reads the chain section beside the events (JSON-LD). */
  readonly readAt: ReadAt;
  /** Where the body ends (the chain section ends there). */
  readonly bodyLength: number;
  /** Told each record whose chain checks hold, with its Merkle leaf hash (JSON-LD: the formats whose records are re-hashed). */
  readonly onLeaf?: (link: ChainLink, leaf: Buffer) => void;
}

/** Where an export file's body ends and what manifest follows it. */
export interface ExportTrailer {
  readonly format: ExportFormat;
  /** Bytes 0 to bodyLength - 1 are what the manifest's `bodySha256` covers. */
  readonly bodyLength: number;
  readonly size: number;
  readonly jws: string;
}

/** The file is not an export, or its manifest is missing or unreadable: why, in a sentence. */
export type TrailerProblem = { readonly problem: 'manifest_missing' | 'manifest_malformed'; readonly detail: string };

/** An export file cut into the body its manifest signs and the manifest JWS. */
export interface SplitExport {
  readonly format: ExportFormat;
  readonly body: Buffer;
  readonly jws: string;
}

/**
 * What a verifier needs to read one export format back: how its first bytes
 * look, its manifest line, a walker over its body. Apart from the writer, so
 * that a reader (the CLI's bundle) does not carry the writers' dependencies.
 */
export interface ExportReader {
  readonly format: ExportFormat;
  /** Whether a file's first bytes (latin1, up to 256) are this format's, for a reader that has not found the manifest yet. */
  starts(head: string): boolean;
  /** The manifest in the file's last non-blank line (latin1, so positions are byte offsets), which starts at `lineOffset`. */
  trailer(line: string, lineOffset: number, size: number): ExportTrailer | TrailerProblem;
  /** A walker over the body: the manifest says which layout it has (chain section, or links inside the events before it had one). */
  walker(options: WalkerOptions): BodyWalker;
  /**
   * A whole file (and its latin1 view) cut at the manifest; undefined when the
   * file is not this format with its manifest marker, null when it is but the
   * manifest cannot be read.
   */
  split(file: Buffer, text: string): SplitExport | null | undefined;
}
