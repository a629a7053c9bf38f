import { type ChainLink } from '@m2m-trust/audit-domain';

import { stringify } from 'csv-stringify/sync';

import { type BodySummary, type BodyWalker, RecordTally } from './export-body';
import { type ExportReader, type ExportTrailer, type ExportWriter, type SplitExport, type TrailerProblem } from './export-codec';
import { linksInEvents } from './export-manifest';
import { csvChars } from './forbidden-characters';
import { documentFault, recordFault, type VerifyFault } from './verify-fault';

/** The last line of a CSV export written before its manifest moved beside it (read, never written). */
export const CSV_MANIFEST_MARKER = '#m2m-manifest,';

/**
 * What a spreadsheet may take for a formula when a cell starts with it
 * (OWASP, CSV injection): = + - @, tab, CR, and LF; and their full-width
 * forms (U+FF1D, U+FF0B, U+FF0D, U+FF20), which input methods and some
 * spreadsheets fold into the ASCII ones.
 */
const FORMULA_START = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;
/**
 * Every text cell of the CSV export: control characters (but tab and line
 * breaks, which RFC 4180 quoting carries) and lone surrogates written as
 * U+FFFD, since a record from before callers' text was checked may hold
 * them; then a value that starts like a formula, or with the quote itself (so
 * that the rule can be undone), is written with a `'` in front: a
 * spreadsheet shows it as text; a reader gets the value back by removing one
 * leading `'`.
 */
export const spreadsheetSafe = (text: string): string => {
  const value = csvChars(text);
  return FORMULA_START.test(value) || value.startsWith("'") ? `'${value}` : value;
};

/** The value a cell of the CSV export stands for (the inverse of {@link spreadsheetSafe}). */
export const csvCellValue = (cell: string): string => (cell.startsWith("'") ? cell.slice(1) : cell);

export const CSV_COLUMNS = [
  'seq',
  'eventID',
  'eventTime',
  'recordTime',
  'action',
  'bizStep',
  'disposition',
  'epc',
  'reason',
  'challengeId',
  'keyThumbprint',
  'method',
  'actor',
  'requestId',
  'prevHash',
  'recordHash',
] as const;

/**
 * One row per event: a summary of it with its chain link, under a header of
 * {@link CSV_COLUMNS}, RFC 4180 and nothing else (no comment or trailer line
 * a CSV reader would take for a row): the signed manifest is served beside
 * the file (`GET /epcis/export/manifest`). Every text cell goes through
 * {@link spreadsheetSafe}.
 */
export class CsvExportWriter implements ExportWriter {
  readonly contentType = 'text/csv; charset=utf-8; header=present';
  readonly extension = 'csv';
  readonly chained = false;
  readonly embedsManifest = false;

  start(): string {
    return stringify([[...CSV_COLUMNS]]);
  }

  record(event: Readonly<Record<string, unknown>>, link: ChainLink): string {
    const value = (name: string): string => {
      const v = event[name];
      return typeof v === 'string' ? spreadsheetSafe(v) : '';
    };
    return stringify([
      [
        link.seq,
        value('eventID'),
        value('eventTime'),
        value('recordTime'),
        value('action'),
        value('bizStep'),
        value('disposition'),
        Array.isArray(event['epcList']) ? spreadsheetSafe((event['epcList'] as string[]).join(' ')) : '',
        value('m2m:reason'),
        value('m2m:challengeId'),
        value('m2m:keyThumbprint'),
        value('m2m:method'),
        value('m2m:actor'),
        value('m2m:requestId'),
        link.prevHash,
        link.hash,
      ],
    ]);
  }

  openChain(): string {
    return '';
  }

  link(): string {
    return '';
  }

  end(): string {
    return '';
  }

  manifest(): string {
    return '';
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CR = 0x0d;
const SEQ = CSV_COLUMNS.indexOf('seq');
const RECORD_HASH = CSV_COLUMNS.indexOf('recordHash');
const FORMULA_BYTES = new Set([...'=+-@\t\r'].map((c) => c.charCodeAt(0)));

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: the field's end, or the first of an escaped pair (`""`). */
  QuoteInQuoted,
}

/**
 * Walks the body of a CSV export: its header, then one record per event
 * (RFC 4180 quoting, so a reason may hold commas, quotes and line breaks),
 * counting the records and reading the sequence range and last record hash
 * for the manifest's claims. A CSV row is a summary of its event, not the
 * event itself, so the records' hashes cannot be recomputed from it: the
 * signature and the body hash are what vouch for its content.
 */
export class CsvExportWalker implements BodyWalker {
  readonly checks = 'the header, and the row count, sequence range and last record hash against the manifest (CSV rows carry no event to re-hash)';
  private state = State.FieldStart;
  private field = 0;
  /** Text of the fields being kept: every field of the header, the seq and record hash of a row. */
  private kept: string[] = [];
  private records = 0;
  private line = 1;
  private recordLine = 1;
  private readonly tally = new RecordTally();
  private fault: VerifyFault | null = null;
  private fieldEmpty = true;

  /** `safeCells`: also refuse a cell a spreadsheet would run (every export since cells are written {@link spreadsheetSafe}). */
  constructor(private readonly safeCells: boolean = true) {}

  push(chunk: Buffer): VerifyFault | null {
    for (let i = 0; i < chunk.length && this.fault === null; i++) {
      const byte = chunk[i] as number;
      if (this.state === State.QuoteInQuoted) {
        if (byte === QUOTE) {
          this.keep(byte);
          this.state = State.Quoted;
          continue;
        }
        this.state = State.Unquoted;
      }
      if (this.state === State.Quoted) {
        if (byte === QUOTE) this.state = State.QuoteInQuoted;
        else {
          if (byte === NEWLINE) this.line++;
          this.keep(byte);
        }
        continue;
      }
      if (this.state === State.FieldStart && byte === QUOTE) {
        this.state = State.Quoted;
        continue;
      }
      if (byte === COMMA) {
        this.field++;
        this.fieldEmpty = true;
        this.state = State.FieldStart;
      } else if (byte === NEWLINE) {
        this.endRecord();
        this.line++;
        this.recordLine = this.line;
      } else if (byte !== CR) {
        this.keep(byte);
        this.state = State.Unquoted;
      }
    }
    return this.fault;
  }

  end(): VerifyFault | null {
    if (this.fault !== null) return this.fault;
    if (this.state === State.Quoted) return (this.fault = documentFault('document_malformed', this.recordLine, 'a quoted field is never closed'));
    // The service ends every record with a line break; a last record without one is read all the same.
    if (this.field > 0 || this.kept.length > 0) this.endRecord();
    if (this.fault === null && this.records === 0) this.fault = documentFault('document_malformed', 1, 'the file has no header');
    return this.fault;
  }

  summary(): BodySummary {
    return this.tally.summary();
  }

  private keep(byte: number): void {
    if (this.fieldEmpty) {
      this.fieldEmpty = false;
      if (this.safeCells && this.records > 0 && FORMULA_BYTES.has(byte)) this.fault = recordFault('unsafe_cell', null, this.recordLine);
    }
    if (this.records > 0 && this.field !== SEQ && this.field !== RECORD_HASH) return;
    this.kept[this.field] = (this.kept[this.field] ?? '') + String.fromCharCode(byte);
  }

  private endRecord(): void {
    const fields = this.kept;
    const width = this.field + 1;
    this.kept = [];
    this.field = 0;
    this.fieldEmpty = true;
    this.state = State.FieldStart;
    if (this.records++ === 0) {
      if (width !== CSV_COLUMNS.length || CSV_COLUMNS.some((column, i) => fields[i] !== column)) {
        this.fault = documentFault('document_malformed', this.recordLine, `the header is not ${CSV_COLUMNS.join(',')}`);
      }
      return;
    }
    const seqText = fields[SEQ] ?? '';
    if (width !== CSV_COLUMNS.length || !/^[1-9]\d*$/.test(seqText)) {
      this.fault = recordFault('malformed_record', null, this.recordLine, `the row is not ${CSV_COLUMNS.length} fields with a sequence number`);
      return;
    }
    this.tally.add(Number(seqText), fields[RECORD_HASH] ?? null);
  }
}

function csvTrailer(line: string, lineOffset: number, size: number): ExportTrailer | TrailerProblem {
  if (!line.startsWith(CSV_MANIFEST_MARKER)) return { problem: 'manifest_missing', detail: `the last line is not "${CSV_MANIFEST_MARKER}<JWS>"` };
  return { format: 'csv', bodyLength: lineOffset, size, jws: line.slice(CSV_MANIFEST_MARKER.length).trim() };
}

function splitCsv(file: Buffer, text: string): SplitExport | undefined {
  const csv = text.lastIndexOf(`\n${CSV_MANIFEST_MARKER}`);
  if (!(text.startsWith(CSV_COLUMNS[0]) && csv > 0)) return undefined;
  const jws = file.subarray(csv + 1 + CSV_MANIFEST_MARKER.length).toString('utf8').trim();
  return { format: 'csv', body: file.subarray(0, csv + 1), jws };
}

/** The CSV format read back. */
export const CSV_READER: ExportReader = {
  format: 'csv',
  starts: (head) => head.startsWith(`${CSV_COLUMNS[0]},`),
  trailer: csvTrailer,
  walker: ({ manifest }) => new CsvExportWalker(!linksInEvents(manifest)),
  split: splitCsv,
};
