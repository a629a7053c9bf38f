import { type ChainLink } from '@m2m-trust/audit-domain';
import {
  type BodySummary,
  type ExportFormat,
  type ExportManifest,
  exportReader,
  manifestFault,
  type VerifyFault,
  verifyManifest,
} from '@m2m-trust/audit-export';

import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { type JSONWebKeySet } from 'jose';

import { type EpcisSchemaValidator } from './epcis-schema.validator';
import { readExportTrailer } from './export-trailer';

/** Where the key set came from, said in the report: a file the auditor holds, or the service itself. */
export interface KeySource {
  readonly source: 'file' | 'service';
  readonly location: string;
}

export interface VerifyExportInput {
  readonly file: string;
  /** Asked once, after the file has been found to end in a manifest. */
  readonly keys: () => Promise<{ readonly keySet: JSONWebKeySet; readonly from: KeySource }>;
  readonly schema?: EpcisSchemaValidator;
  /** A CSV export's manifest file (default: FILE.jws beside it). */
  readonly manifest?: string;
  /** Bytes of the file read so far, of `total`. */
  readonly onProgress?: (bytes: number, total: number) => void;
  /** Told each JSON-LD record whose chain checks hold, with its Merkle leaf hash. */
  readonly onLeaf?: (link: ChainLink, leaf: Buffer) => void;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly file: string;
  readonly format: ExportFormat | null;
  readonly bytes: number;
  readonly keys: KeySource | null;
  /** The id of the key that signed the manifest, once the signature held. */
  readonly kid: string | null;
  /** The manifest's claims, once its signature held (never unverified claims). */
  readonly manifest: ExportManifest | null;
  /** What the walk over the body found and how, once it ran. */
  readonly body: (BodySummary & { readonly checks: string; readonly sha256: string | null }) | null;
  readonly schema: { readonly checked: boolean; readonly path: string | null; readonly note: string };
  /** The first thing that does not hold; null when the export verifies. */
  readonly fault: VerifyFault | null;
}

const CHUNK = 1024 * 1024;

/**
 * Checks an export file offline, in this order, stopping at the first
 * failure: the manifest at its end and its signature against the key set
 * (read from the file's tail, before any record); then the body, streamed
 * once (its SHA-256, and for JSON-LD every record through the audit chain
 * rules, optionally the EPCIS JSON Schema); then the manifest's claims
 * against what the walk found (count, sequence range, chain head, body hash).
 */
export async function verifyExportFile(input: VerifyExportInput): Promise<VerifyReport> {
  const schemaNote = (checked: boolean, note: string): VerifyReport['schema'] => ({ checked, path: input.schema?.path ?? null, note });
  let report: VerifyReport = {
    ok: false,
    file: input.file,
    format: null,
    bytes: 0,
    keys: null,
    kid: null,
    manifest: null,
    body: null,
    schema: schemaNote(false, input.schema ? 'not reached' : 'not checked (no --schema given)'),
    fault: null,
  };
  const fail = (fault: VerifyFault, more: Partial<VerifyReport> = {}): VerifyReport => ({ ...report, ...more, ok: false, fault });

  const trailer = await readExportTrailer(input.file, input.manifest);
  if ('problem' in trailer) return fail(manifestFault(trailer.problem, trailer.detail));
  report = { ...report, format: trailer.format, bytes: trailer.size };

  const { keySet, from } = await input.keys();
  report = { ...report, keys: from };
  const signed = await verifyManifest(trailer.jws, keySet);
  if ('scope' in signed) return fail(signed);
  const { manifest } = signed;
  report = { ...report, kid: signed.kid ?? null, manifest };
  if (manifest.format !== trailer.format) {
    return fail(manifestFault('format_mismatch', `the manifest signs a ${manifest.format} export, but the file is ${trailer.format}`));
  }

  const schemaChecked = input.schema !== undefined && trailer.format === 'jsonld';
  report = {
    ...report,
    schema: schemaNote(schemaChecked, schemaChecked ? 'the document and every event' : input.schema ? 'not applicable to CSV' : 'not checked (no --schema given)'),
  };
  const fd = openSync(input.file, 'r');
  try {
    const walker = exportReader(trailer.format).walker({
      manifest,
      schema: input.schema,
      bodyLength: trailer.bodyLength,
      ...(input.onLeaf ? { onLeaf: input.onLeaf } : {}),
      // The chain section, read beside the events (JSON-LD): a second cursor over the same file.
      readAt: (position, length) => {
        const buffer = Buffer.alloc(length);
        return buffer.subarray(0, readSync(fd, buffer, 0, length, position));
      },
    });
    const hash = createHash('sha256');
    let fault: VerifyFault | null = null;
    let read = 0;
    if (trailer.bodyLength > 0) {
      // Only the body's bytes: the manifest line after them is not part of what it signs.
      for await (const chunk of createReadStream(input.file, { start: 0, end: trailer.bodyLength - 1, highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        read += chunk.length;
        input.onProgress?.(read, trailer.size);
        fault = walker.push(chunk);
        if (fault !== null) break;
      }
    }
    fault ??= walker.end();
    const found = walker.summary();
    const sha256 = fault === null ? hash.digest('hex') : null;
    report = { ...report, body: { ...found, checks: walker.checks, sha256 } };
    if (fault !== null) return fail(fault);
    input.onProgress?.(trailer.size, trailer.size);

    const claim = claimFault(manifest, found, sha256 as string);
    return claim === null ? { ...report, ok: true } : fail(claim);
  } finally {
    closeSync(fd);
  }
}

/** The first of the manifest's claims the body does not bear out. */
function claimFault(manifest: ExportManifest, found: BodySummary, sha256: string): VerifyFault | null {
  const differs = (claimed: unknown, actual: unknown): boolean => claimed !== actual;
  if (differs(manifest.count, found.count)) {
    return manifestFault('count_mismatch', `the manifest says ${manifest.count} events, the file holds ${found.count}`);
  }
  if (differs(manifest.firstSeq, found.firstSeq)) {
    return manifestFault('first_seq_mismatch', `the manifest says the first record is ${manifest.firstSeq}, the file starts at ${found.firstSeq}`);
  }
  if (differs(manifest.lastSeq, found.lastSeq)) {
    return manifestFault('last_seq_mismatch', `the manifest says the last record is ${manifest.lastSeq}, the file ends at ${found.lastSeq}`);
  }
  if (differs(manifest.chainHead, found.lastHash)) {
    return manifestFault('chain_head_mismatch', `the manifest's chain head ${manifest.chainHead} is not the last record's hash ${found.lastHash}`);
  }
  if (manifest.complete && differs(manifest.lastSeq, manifest.snapshotSeq === 0 ? null : manifest.snapshotSeq)) {
    return manifestFault('snapshot_mismatch', `a complete export holds every record up to ${manifest.snapshotSeq}, this one ends at ${manifest.lastSeq}`);
  }
  if (differs(manifest.bodySha256, sha256)) {
    return manifestFault('body_hash_mismatch', `the file's body hashes to ${sha256}, not the ${manifest.bodySha256} the manifest signs: it was changed after export`);
  }
  return null;
}
