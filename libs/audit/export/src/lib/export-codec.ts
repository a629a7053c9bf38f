import { type ChainLink } from '@m2m-trust/audit-domain';

import { type BodyWalker, type SchemaCheck } from './export-body';
import { type ExportFormat } from './export-manifest';

/** Turns records into one export format, a piece at a time, so an export streams in flat memory. */
export interface ExportWriter {
  readonly contentType: string;
  readonly extension: string;
  start(creationDate: string): string;
  record(event: Readonly<Record<string, unknown>>, link: ChainLink): string;
  /** The end of the body: the last bytes the manifest's hash covers. */
  end(): string;
  /** Appended after the body: the signed manifest, in the format's own syntax. */
  manifest(jws: string): string;
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
  /** A walker over the body; `complete` and `schema` matter only where records can be re-hashed and validated (JSON-LD). */
  walker(complete: boolean, schema: SchemaCheck | undefined): BodyWalker;
  /**
   * A whole file (and its latin1 view) cut at the manifest; undefined when the
   * file is not this format with its manifest marker, null when it is but the
   * manifest cannot be read.
   */
  split(file: Buffer, text: string): SplitExport | null | undefined;
}
