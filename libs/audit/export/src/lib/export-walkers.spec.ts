import { EMPTY_CHAIN_TAIL, EPCIS_PREFIXES, nextChainLink } from '@m2m-trust/audit-domain';
import { computeEventHashId } from '@m2m-trust/audit-event-hash';

import { CsvExportWalker } from './csv.format';
import { type BodyWalker } from './export-body';
import { exportWriter } from './export-format';
import { type ExportFormat } from './export-manifest';
import { JsonLdExportWalker } from './jsonld.format';
import { LineSplitter } from './line.splitter';
import { XmlExportWalker } from './xml.format';

// The walkers over export bodies as the service's own writers produce them,
// fed in chunks of every awkward size: a line, a quoted CSV field or a UTF-8
// character split between two reads must not change the verdict.

interface Exported {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly event: Record<string, unknown>;
}

function chain(reasons: readonly string[]): Exported[] {
  const records: Exported[] = [];
  let tail = EMPTY_CHAIN_TAIL;
  reasons.forEach((reason, i) => {
    const content = {
      type: 'ObjectEvent',
      eventTime: `2026-11-21T08:00:0${i}.000Z`,
      eventTimeZoneOffset: '+00:00',
      epcList: [`urn:m2m-trust:device:meter-${i}`],
      action: 'DELETE',
      bizStep: 'decommissioning',
      disposition: 'inactive',
      'm2m:reason': reason,
    };
    const event = { eventID: computeEventHashId(content, EPCIS_PREFIXES), ...content };
    const link = nextChainLink(tail, event);
    records.push({ ...link, event });
    tail = link;
  });
  return records;
}

function body(format: ExportFormat, records: readonly Exported[]): Buffer {
  const writer = exportWriter(format);
  let text = writer.start('2026-11-21T09:00:00.000Z');
  for (const r of records) text += writer.record(r.event, { seq: r.seq, prevHash: r.prevHash, hash: r.hash });
  return Buffer.from(text + writer.end(), 'utf8');
}

function walk(walker: BodyWalker, bytes: Buffer, chunkSize: number) {
  for (let at = 0; at < bytes.length; at += chunkSize) {
    const fault = walker.push(bytes.subarray(at, at + chunkSize));
    if (fault) return { fault, summary: walker.summary() };
  }
  return { fault: walker.end(), summary: walker.summary() };
}

const REASONS = ['lost', 'retired, "finally"', 'moved\nto line 2', 'größer €', 'plain'];
const CHUNK_SIZES = [1, 2, 3, 7, 64 * 1024];

describe('JsonLdExportWalker', () => {
  const records = chain(REASONS);
  const last = records[records.length - 1]!;

  it.each(CHUNK_SIZES)('walks a complete export fed %i bytes at a time', (size) => {
    expect(walk(new JsonLdExportWalker(true, undefined), body('jsonld', records), size)).toEqual({
      fault: null,
      summary: { count: 5, firstSeq: 1, lastSeq: 5, lastHash: last.hash },
    });
  });

  it('names the record after a removed one, contiguous or not', () => {
    const gapped = body('jsonld', [records[0]!, records[2]!]);
    expect(walk(new JsonLdExportWalker(true, undefined), gapped, 5).fault).toMatchObject({ scope: 'record', problem: 'sequence_gap', seq: 3, line: 3 });
    // A filtered export may skip records, but never go back.
    expect(walk(new JsonLdExportWalker(false, undefined), gapped, 5).fault).toBeNull();
    const backwards = body('jsonld', [records[2]!, records[0]!]);
    expect(walk(new JsonLdExportWalker(false, undefined), backwards, 5).fault).toMatchObject({ problem: 'sequence_gap', seq: 1 });
  });

  it('refuses a document that is not the export layout', () => {
    const unclosed = body('jsonld', records).subarray(0, -2);
    expect(walk(new JsonLdExportWalker(true, undefined), unclosed, 100).fault).toMatchObject({ scope: 'document', problem: 'document_malformed' });
    const noLink = Buffer.from(body('jsonld', records).toString('utf8').replace('"m2m:seq":2,', ''));
    expect(walk(new JsonLdExportWalker(true, undefined), noLink, 100).fault).toMatchObject({ scope: 'record', problem: 'malformed_record', line: 3 });
    expect(walk(new JsonLdExportWalker(true, undefined), Buffer.from('{"type":"EPCISDocument"}\n'), 100).fault).toMatchObject({
      scope: 'document',
      problem: 'document_malformed',
      line: 1,
    });
  });

  it('walks an export without records', () => {
    expect(walk(new JsonLdExportWalker(true, undefined), body('jsonld', []), 3)).toEqual({
      fault: null,
      summary: { count: 0, firstSeq: null, lastSeq: null, lastHash: null },
    });
  });
});

describe.each([
  ['CsvExportWalker', 'csv', () => new CsvExportWalker()],
  ['XmlExportWalker', 'xml', () => new XmlExportWalker()],
] as const)('%s', (_name, format, walker) => {
  const records = chain(REASONS);

  it.each(CHUNK_SIZES)('counts records, quoted or escaped line breaks and all, and reads their sequence range, fed %i bytes at a time', (size) => {
    expect(walk(walker(), body(format, records), size)).toEqual({
      fault: null,
      summary: { count: 5, firstSeq: 1, lastSeq: 5, lastHash: records[4]!.hash },
    });
  });
});

describe('CsvExportWalker', () => {
  const records = chain(REASONS);

  it('refuses another header, a short row and an unclosed quote', () => {
    expect(walk(new CsvExportWalker(), Buffer.from('seq,eventID\n1,x\n'), 4).fault).toMatchObject({ scope: 'document', problem: 'document_malformed', line: 1 });
    const text = body('csv', records).toString('utf8');
    const short = text.replace(/\n1,[^\n]*\n/, '\n1,ni:///x\n');
    expect(walk(new CsvExportWalker(), Buffer.from(short), 9).fault).toMatchObject({ scope: 'record', problem: 'malformed_record', line: 2 });
    expect(walk(new CsvExportWalker(), Buffer.from(`${text}9,"open\n`), 9).fault).toMatchObject({ problem: 'document_malformed' });
  });
});

describe('XmlExportWalker', () => {
  const records = chain(REASONS);

  it('names an event that goes back in sequence', () => {
    expect(walk(new XmlExportWalker(), body('xml', [records[2]!, records[0]!]), 7).fault).toMatchObject({ scope: 'record', problem: 'sequence_gap', seq: 1, line: 4 });
  });
});

describe('LineSplitter', () => {
  it('joins lines across chunks and gives the last line without its newline', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter();
    for (const chunk of ['ab', 'c\nd', '', '\n\nef', 'g']) splitter.push(Buffer.from(chunk), (line) => lines.push(line.toString()) > 0);
    splitter.end((line) => lines.push(line.toString()) > 0);
    expect(lines).toEqual(['abc', 'd', '', 'efg']);
  });

  it('stops when told to', () => {
    const lines: string[] = [];
    expect(new LineSplitter().push(Buffer.from('a\nb\nc\n'), (line) => lines.push(line.toString()) < 2)).toBe(false);
    expect(lines).toEqual(['a', 'b']);
  });
});
