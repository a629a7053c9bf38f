import { type ChainLink } from '@m2m-trust/audit-domain';

import { stringify } from 'csv-stringify/sync';

import { type BodySummary, type BodyWalker, RecordTally } from './export-body';
import { type ExportReader, type ExportTrailer, type ExportWriter, type SplitExport, type TrailerProblem } from './export-codec';
import { documentFault, recordFault, type VerifyFault } from './verify-fault';

/** The last line of a CSV export. */
export const CSV_MANIFEST_MARKER = '#m2m-manifest,';

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

/** One row per event: a summary of it with its chain link, under a header of {@link CSV_COLUMNS}. */
export class CsvExportWriter implements ExportWriter {
  readonly contentType = 'text/csv; charset=utf-8; header=present';
  readonly extension = 'csv';

  start(): string {
    return stringify([[...CSV_COLUMNS]]);
  }

  record(event: Readonly<Record<string, unknown>>, link: ChainLink): string {
    const value = (name: string): string => {
      const v = event[name];
      return typeof v === 'string' ? v : '';
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
        Array.isArray(event['epcList']) ? (event['epcList'] as string[]).join(' ') : '',
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

  end(): string {
    return '';
  }

  manifest(jws: string): string {
    return `${CSV_MANIFEST_MARKER}${jws}\n`;
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CR = 0x0d;
const SEQ = CSV_COLUMNS.indexOf('seq');
const RECORD_HASH = CSV_COLUMNS.indexOf('recordHash');

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
    if (this.records > 0 && this.field !== SEQ && this.field !== RECORD_HASH) return;
    this.kept[this.field] = (this.kept[this.field] ?? '') + String.fromCharCode(byte);
  }

  private endRecord(): void {
    const fields = this.kept;
    const width = this.field + 1;
    this.kept = [];
    this.field = 0;
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
  walker: () => new CsvExportWalker(),
  split: splitCsv,
};
