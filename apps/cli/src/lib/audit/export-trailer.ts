import { exportReaderOf, type ExportTrailer, type TrailerProblem } from '@m2m-trust/audit-export';

import { type FileHandle, open, readFile } from 'node:fs/promises';

const FIRST_WINDOW = 64 * 1024;
/** A manifest line longer than this is not one the service wrote (its filters are bounded by a URL). */
const LARGEST_WINDOW = 4 * 1024 * 1024;
const isBlank = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/** Where a CSV export's manifest is looked for when none is named: beside it, as `m2m audit export` saves it. */
export const detachedManifestPath = (path: string): string => `${path}.jws`;

/**
 * Finds an export's manifest by reading the file's end only (a few KiB,
 * whatever the file's size), so that the signature can be checked before a
 * single record is read. The manifest is the last non-blank line: in JSON-LD
 * `,"m2m:manifest":"<JWS>"}` closing the document, in XML
 * `<?m2m-manifest <JWS>?>`. A CSV export is a plain table whose manifest is
 * a file of its own (`manifestPath`, by default FILE.jws); one written
 * before that ends with `#m2m-manifest,<JWS>`. The format is told by the
 * file's first bytes; what its manifest line looks like is the format's own
 * (@m2m-trust/audit-export).
 */
export async function readExportTrailer(path: string, manifestPath?: string): Promise<ExportTrailer | TrailerProblem> {
  const trailer = await readTrailerLine(path);
  if (!('detached' in trailer)) return trailer;
  const beside = manifestPath ?? detachedManifestPath(path);
  let jws: string;
  try {
    jws = (await readFile(beside, 'utf8')).trim();
  } catch {
    return {
      problem: 'manifest_missing',
      detail: `a CSV export's signed manifest is a file beside it: ${beside} is missing (m2m audit export saves it; else GET the export's Link rel="describedby", or name it with --manifest)`,
    };
  }
  return { format: 'csv', bodyLength: trailer.size, size: trailer.size, jws };
}

/** A CSV file without a manifest line: its manifest is a file beside it. */
interface DetachedManifest {
  readonly detached: true;
  readonly size: number;
}

async function readTrailerLine(path: string): Promise<ExportTrailer | TrailerProblem | DetachedManifest> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const reader = exportReaderOf((await read(file, 0, Math.min(size, 256))).toString('latin1'));
    if (reader === null) return { problem: 'manifest_missing', detail: 'the file is not a JSON-LD, XML or CSV export of this service' };
    for (let window = Math.min(size, FIRST_WINDOW); ; window = Math.min(size, window * 4)) {
      const tail = await read(file, size - window, window);
      let end = tail.length;
      while (end > 0 && isBlank(tail[end - 1] as number)) end--;
      const newline = tail.lastIndexOf(0x0a, end - 1);
      if (newline < 0 && window < size && window < LARGEST_WINDOW) continue;
      if (newline < 0 && window < size) return { problem: 'manifest_missing', detail: 'the file does not end with a manifest line' };
      const lineStart = newline + 1;
      const line = tail.subarray(lineStart, end).toString('latin1');
      const trailer = reader.trailer(line, size - window + lineStart, size);
      // A CSV without the old manifest line has its manifest beside it.
      return 'problem' in trailer && reader.format === 'csv' ? { detached: true, size } : trailer;
    }
  } finally {
    await file.close();
  }
}

async function read(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}
