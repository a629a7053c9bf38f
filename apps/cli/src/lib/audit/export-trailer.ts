import { CSV_COLUMNS, CSV_MANIFEST_MARKER, type ExportFormat, JSONLD_MANIFEST_MARKER, XML_MANIFEST_MARKER } from '@m2m-trust/audit-domain';

import { type FileHandle, open } from 'node:fs/promises';

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

const FIRST_WINDOW = 64 * 1024;
/** A manifest line longer than this is not one the service wrote (its filters are bounded by a URL). */
const LARGEST_WINDOW = 4 * 1024 * 1024;
const isBlank = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * Finds an export's manifest by reading the file's end only (a few KiB,
 * whatever the file's size), so that the signature can be checked before a
 * single record is read. The manifest is the last non-blank line: in JSON-LD
 * `]},"m2m:manifest":"<JWS>"}` closing the document, in CSV
 * `#m2m-manifest,<JWS>`. The format is told by the file's first bytes.
 */
export async function readExportTrailer(path: string): Promise<ExportTrailer | TrailerProblem> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const start = (await read(file, 0, Math.min(size, 256))).toString('latin1');
    const format: ExportFormat | null = start.startsWith('{')
      ? 'jsonld'
      : start.startsWith('<?xml')
        ? 'xml'
        : start.startsWith(`${CSV_COLUMNS[0]},`)
          ? 'csv'
          : null;
    if (format === null) return { problem: 'manifest_missing', detail: 'the file is not a JSON-LD, XML or CSV export of this service' };
    for (let window = Math.min(size, FIRST_WINDOW); ; window = Math.min(size, window * 4)) {
      const tail = await read(file, size - window, window);
      let end = tail.length;
      while (end > 0 && isBlank(tail[end - 1] as number)) end--;
      const newline = tail.lastIndexOf(0x0a, end - 1);
      if (newline < 0 && window < size && window < LARGEST_WINDOW) continue;
      if (newline < 0 && window < size) return { problem: 'manifest_missing', detail: 'the file does not end with a manifest line' };
      const lineStart = newline + 1;
      const line = tail.subarray(lineStart, end).toString('latin1');
      const offset = size - window;
      return format === 'jsonld'
        ? jsonLdTrailer(line, offset + lineStart, size)
        : format === 'xml'
          ? xmlTrailer(line, offset + lineStart, size)
          : csvTrailer(line, offset + lineStart, size);
    }
  } finally {
    await file.close();
  }
}

function jsonLdTrailer(line: string, lineOffset: number, size: number): ExportTrailer | TrailerProblem {
  const at = line.lastIndexOf(JSONLD_MANIFEST_MARKER);
  if (at < 0 || !line.endsWith('}')) return { problem: 'manifest_missing', detail: `the document does not end with its "m2m:manifest"` };
  let jws: unknown;
  try {
    jws = JSON.parse(line.slice(at + JSONLD_MANIFEST_MARKER.length, -1));
  } catch {
    jws = null;
  }
  if (typeof jws !== 'string') return { problem: 'manifest_malformed', detail: '"m2m:manifest" is not a JSON string' };
  // latin1 keeps one character per byte, so positions in the line are byte offsets in the file.
  return { format: 'jsonld', bodyLength: lineOffset + at, size, jws };
}

function xmlTrailer(line: string, lineOffset: number, size: number): ExportTrailer | TrailerProblem {
  if (!line.startsWith(XML_MANIFEST_MARKER) || !line.endsWith('?>')) {
    return { problem: 'manifest_missing', detail: `the last line is not "${XML_MANIFEST_MARKER}<JWS>?>"` };
  }
  return { format: 'xml', bodyLength: lineOffset, size, jws: line.slice(XML_MANIFEST_MARKER.length, -2).trim() };
}

function csvTrailer(line: string, lineOffset: number, size: number): ExportTrailer | TrailerProblem {
  if (!line.startsWith(CSV_MANIFEST_MARKER)) return { problem: 'manifest_missing', detail: `the last line is not "${CSV_MANIFEST_MARKER}<JWS>"` };
  return { format: 'csv', bodyLength: lineOffset, size, jws: line.slice(CSV_MANIFEST_MARKER.length).trim() };
}

async function read(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}
