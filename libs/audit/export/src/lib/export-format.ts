import { CSV_READER, CsvExportWriter } from './csv.format';
import { type ExportReader, type ExportWriter, type SplitExport } from './export-codec';
import { type ExportFormat } from './export-manifest';
import { JSONLD_READER, JsonLdExportWriter } from './jsonld.format';
import { XML_READER, XmlExportWriter } from './xml.format';

/** Every export format's reader, in the order they are tried on a file. */
const READERS: readonly ExportReader[] = [JSONLD_READER, XML_READER, CSV_READER];

export function exportWriter(format: ExportFormat): ExportWriter {
  switch (format) {
    case 'jsonld':
      return new JsonLdExportWriter();
    case 'xml':
      return new XmlExportWriter();
    case 'csv':
      return new CsvExportWriter();
  }
}

export function exportReader(format: ExportFormat): ExportReader {
  switch (format) {
    case 'jsonld':
      return JSONLD_READER;
    case 'xml':
      return XML_READER;
    case 'csv':
      return CSV_READER;
  }
}

/** The reader of the format a file's first bytes (latin1) are, or null when they are none of this service's exports. */
export function exportReaderOf(head: string): ExportReader | null {
  return READERS.find((reader) => reader.starts(head)) ?? null;
}

/**
 * Splits an export file into the body its manifest signs and the manifest
 * JWS, or null when the file does not end with one. Works on bytes: the body
 * is hashed exactly as it was written.
 */
export function splitExport(file: Buffer): SplitExport | null {
  const text = file.toString('latin1'); // byte-preserving view for searching
  for (const reader of READERS) {
    const split = reader.split(file, text);
    if (split !== undefined) return split;
  }
  return null;
}
