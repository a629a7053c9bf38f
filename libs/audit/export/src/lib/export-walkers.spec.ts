import { EMPTY_CHAIN_TAIL, EPCIS_PREFIXES, nextChainLink, withChainLink } from '@m2m-trust/audit-domain';
import { computeEventHashId } from '@m2m-trust/audit-event-hash';

import { execFileSync, spawnSync } from 'node:child_process';

import { CsvExportWalker } from './csv.format';
import { type BodyWalker } from './export-body';
import { exportReader, exportWriter } from './export-format';
import { type ExportFormat, type ExportManifest } from './export-manifest';
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

interface Body {
  readonly bytes: Buffer;
  readonly chainStart: number | null;
}

/** What the service writes: the events, then (JSON-LD, XML) their links after them. */
function body(format: ExportFormat, records: readonly Exported[]): Body {
  const writer = exportWriter(format);
  let text = writer.start('2026-11-21T09:00:00.000Z');
  for (const r of records) text += writer.record(r.event, r);
  let chainStart: number | null = null;
  if (writer.chained) {
    text += writer.openChain();
    chainStart = Buffer.byteLength(text);
    for (const r of records) text += writer.link(r);
  }
  return { bytes: Buffer.from(text + writer.end(), 'utf8'), chainStart };
}

/** An export from before the chain section: each JSON-LD event with its link inside, the list closed by `]}`. */
function legacyJsonLd(records: readonly Exported[]): Body {
  const head = exportWriter('jsonld').start('2026-11-21T09:00:00.000Z');
  const lines = records.map((r) => JSON.stringify(withChainLink(r.event, r)));
  return { bytes: Buffer.from(`${head}${lines.join(',\n')}\n]}`), chainStart: null };
}

const manifestOf = (format: ExportFormat, of: Body, complete: boolean, legacy = false): ExportManifest => ({
  iss: 'test',
  iat: 0,
  format,
  count: 0,
  firstSeq: null,
  lastSeq: null,
  chainHead: null,
  snapshotSeq: 0,
  complete,
  filters: {},
  bodySha256: '0'.repeat(64),
  ...(legacy ? {} : { chainStart: of.chainStart }),
});

function walkerOf(format: ExportFormat, of: Body, complete = true, legacy = false): BodyWalker {
  return exportReader(format).walker({
    manifest: manifestOf(format, of, complete, legacy),
    schema: undefined,
    bodyLength: of.bytes.length,
    readAt: (position, length) => of.bytes.subarray(position, position + length),
  });
}

function walk(walker: BodyWalker, of: Body | Buffer, chunkSize: number) {
  const bytes = Buffer.isBuffer(of) ? of : of.bytes;
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

  it.each(CHUNK_SIZES)('walks a complete export fed %i bytes at a time, each event paired with its link from the chain section', (size) => {
    const exported = body('jsonld', records);
    expect(walk(walkerOf('jsonld', exported), exported, size)).toEqual({
      fault: null,
      summary: { count: 5, firstSeq: 1, lastSeq: 5, lastHash: last.hash },
    });
  });

  it('writes every event exactly as stored, and the document parses with its chain section', () => {
    const text = body('jsonld', records).bytes.toString('utf8');
    const document = JSON.parse(`${text}}`) as { epcisBody: { eventList: unknown[] }; 'm2m:chain': unknown[] };
    expect(document.epcisBody.eventList).toEqual(records.map((r) => r.event));
    expect(document['m2m:chain']).toEqual(records.map((r) => ({ 'm2m:seq': r.seq, 'm2m:prevHash': r.prevHash, 'm2m:recordHash': r.hash })));
  });

  it('names the record after a removed one, contiguous or not', () => {
    const gapped = body('jsonld', [records[0]!, records[2]!]);
    expect(walk(walkerOf('jsonld', gapped), gapped, 5).fault).toMatchObject({ scope: 'record', problem: 'sequence_gap', seq: 3, line: 3 });
    // A filtered export may skip records, but never go back.
    expect(walk(walkerOf('jsonld', gapped, false), gapped, 5).fault).toBeNull();
    const backwards = body('jsonld', [records[2]!, records[0]!]);
    expect(walk(walkerOf('jsonld', backwards, false), backwards, 5).fault).toMatchObject({ problem: 'sequence_gap', seq: 1 });
  });

  it('names an event whose link was edited in the chain section', () => {
    const exported = body('jsonld', records);
    const edited = Buffer.from(exported.bytes.toString('utf8').replace(`"m2m:recordHash":"${records[1]!.hash}"`, `"m2m:recordHash":"${'f'.repeat(64)}"`));
    expect(walk(walkerOf('jsonld', { ...exported, bytes: edited }), edited, 7).fault).toMatchObject({ scope: 'record', problem: 'record_hash_mismatch', seq: 2, line: 3 });
  });

  it('refuses a document that is not the export layout', () => {
    const exported = body('jsonld', records);
    const unclosed = exported.bytes.subarray(0, -2);
    expect(walk(walkerOf('jsonld', { ...exported, bytes: unclosed }), unclosed, 100).fault).toMatchObject({ problem: 'document_malformed' });
    // An event edited to another length moves the chain section from where the manifest says: it is found all the same.
    const edited = Buffer.from(exported.bytes.toString('utf8').replace('"disposition":"inactive"', '"disposition":"active"'));
    expect(walk(walkerOf('jsonld', { ...exported, bytes: edited }), edited, 100).fault).toMatchObject({ scope: 'record', problem: 'event_id_mismatch', seq: 1, line: 2 });
    const header = Buffer.from('{"type":"EPCISDocument"}\n');
    expect(walk(walkerOf('jsonld', { bytes: header, chainStart: 0 }), header, 100).fault).toMatchObject({ scope: 'document', problem: 'document_malformed', line: 1 });
  });

  it('walks an export without records', () => {
    const empty = body('jsonld', []);
    expect(walk(walkerOf('jsonld', empty), empty, 3)).toEqual({ fault: null, summary: { count: 0, firstSeq: null, lastSeq: null, lastHash: null } });
  });

  it('still walks an export from before the chain section (links inside the events, no chainStart in its manifest)', () => {
    const legacy = legacyJsonLd(records);
    expect(walk(walkerOf('jsonld', legacy, true, true), legacy, 7)).toEqual({ fault: null, summary: { count: 5, firstSeq: 1, lastSeq: 5, lastHash: last.hash } });
    const noLink = Buffer.from(legacy.bytes.toString('utf8').replace('"m2m:seq":2,', ''));
    expect(walk(walkerOf('jsonld', legacy, true, true), noLink, 100).fault).toMatchObject({ scope: 'record', problem: 'malformed_record', line: 3 });
  });
});

describe.each([
  ['CsvExportWalker', 'csv'],
  ['XmlExportWalker', 'xml'],
] as const)('%s', (_name, format) => {
  const records = chain(REASONS);

  it.each(CHUNK_SIZES)('counts records, quoted or escaped line breaks and all, and reads their sequence range, fed %i bytes at a time', (size) => {
    const exported = body(format, records);
    expect(walk(walkerOf(format, exported), exported, size)).toEqual({
      fault: null,
      summary: { count: 5, firstSeq: 1, lastSeq: 5, lastHash: records[4]!.hash },
    });
  });
});

describe('CsvExportWalker', () => {
  const records = chain(REASONS);

  it('writes a value that starts like a formula after a quote, and refuses a cell that still does', () => {
    const risky = chain(['=HYPERLINK("http://x")', '+1', '-2', '@SUM(A1)', '\tTab', "'quoted"]);
    const text = body('csv', risky).bytes.toString('utf8');
    for (const reason of ['=HYPERLINK(""http://x"")', '+1', '-2', '@SUM(A1)', '\tTab', "'quoted"]) expect(text).toContain(`'${reason}`);
    expect(walk(new CsvExportWalker(), Buffer.from(text), 5).fault).toBeNull();
    const injected = text.replace("'+1", '+1');
    expect(walk(new CsvExportWalker(), Buffer.from(injected), 5).fault).toMatchObject({ scope: 'record', problem: 'unsafe_cell', line: 3 });
    // An export from before the escaping is read without the check.
    expect(walk(new CsvExportWalker(false), Buffer.from(injected), 5).fault).toBeNull();
  });

  it('refuses another header, a short row and an unclosed quote', () => {
    expect(walk(new CsvExportWalker(), Buffer.from('seq,eventID\n1,x\n'), 4).fault).toMatchObject({ scope: 'document', problem: 'document_malformed', line: 1 });
    const text = body('csv', records).bytes.toString('utf8');
    const short = text.replace(/\n1,[^\n]*\n/, '\n1,ni:///x\n');
    expect(walk(new CsvExportWalker(), Buffer.from(short), 9).fault).toMatchObject({ scope: 'record', problem: 'malformed_record', line: 2 });
    expect(walk(new CsvExportWalker(), Buffer.from(`${text}9,"open\n`), 9).fault).toMatchObject({ problem: 'document_malformed' });
  });
});

describe('XmlExportWalker', () => {
  const records = chain(REASONS);

  it('names an event that goes back in sequence', () => {
    const backwards = body('xml', [records[2]!, records[0]!]);
    expect(walk(new XmlExportWalker(false), backwards, 7).fault).toMatchObject({ scope: 'record', problem: 'sequence_gap', seq: 1, line: 7 });
    const events = backwards.bytes.toString('utf8').split('\n');
    const missingLink = Buffer.from(events.filter((line) => !line.includes(`seq="${records[0]!.seq}"`)).join('\n'));
    expect(walk(new XmlExportWalker(false), missingLink, 7).fault).toMatchObject({ scope: 'document', problem: 'document_malformed' });
  });
});

describe('an old record holding every character class a format forbids (as a database written before the checks may)', () => {
  // C0 controls (NUL, SOH, BS, VT, FF, ESC, US), DEL, C1 (NEL, APC), lone surrogates (high and low),
  // noncharacters (U+FDD0, U+FFFE, U+FFFF, U+10FFFF), line and paragraph separators, tab and line breaks, markup.
  const HOSTILE = 'a\u0000b\u0001\u0008\u000b\u000c\u001b[2J\u001f\u007f\u0085\u009f x\ud800y\udc00z \ufdd0\ufffe\uffff\u{10ffff}\u2028\u2029\t\r\n<&>"\'end';
  const STARTS = ['\u0000=1+1', '\u001b=1', '\n=1+1', '\uff1d1+1', '\uff0bcmd', '\uff0d1', '\uff20SUM(A1)'];
  const records = chain([HOSTILE, ...STARTS]);
  /** The C0 controls in `text` but those `allowed`, and (`c1`) DEL and the C1 controls. */
  const controls = (text: string, allowed: string, c1: boolean): string[] =>
    [...text].filter((c) => {
      const code = c.codePointAt(0) as number;
      return (code < 0x20 && !allowed.includes(c)) || (c1 && code >= 0x7f && code <= 0x9f);
    });

  it('JSON-LD: escapes controls and lone surrogates as JSON does (\\u0000, \\ud800), so each event is still the one hashed and verifies', () => {
    const exported = body('jsonld', records);
    const text = exported.bytes.toString('utf8');
    expect(controls(text, '\n', false)).toEqual([]);
    expect(text).not.toMatch(/[\ud800-\udfff]/u);
    expect(text).toContain('a\\u0000b\\u0001\\b\\u000b\\f\\u001b[2J\\u001f');
    expect(text).toContain('x\\ud800y\\udc00z');
    expect(walk(walkerOf('jsonld', exported), exported, 3)).toEqual({ fault: null, summary: { count: 8, firstSeq: 1, lastSeq: 8, lastHash: records[7]!.hash } });
    // Python's json module, strict: it refuses a control character left raw inside a string.
    const parsed = execFileSync('python3', ['-c', 'import json,sys; d=json.loads(sys.stdin.read()); print(len(d["epcisBody"]["eventList"]))'], { input: `${text}}` });
    expect(parsed.toString().trim()).toBe('8');
  });

  it('XML: writes what XML 1.0 forbids as U+FFFD, and xmllint finds the document well-formed', () => {
    const exported = body('xml', records);
    const text = exported.bytes.toString('utf8');
    expect(text).toMatch(/^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u);
    expect(text).toContain('<m2m:reason>a\ufffdb\ufffd\ufffd\ufffd\ufffd\ufffd[2J\ufffd\u007f\u0085\u009f x\ufffdy\ufffdz \ufdd0\ufffd\ufffd\u{10ffff}&#x2028;&#x2029;\t&#13;&#10;&lt;&amp;&gt;&quot;&apos;end</m2m:reason>');
    const lint = spawnSync('xmllint', ['--noout', '-'], { input: exported.bytes });
    expect({ status: lint.status, stderr: lint.stderr.toString() }).toEqual({ status: 0, stderr: '' });
    expect(walk(walkerOf('xml', exported), exported, 5)).toEqual({ fault: null, summary: { count: 8, firstSeq: 1, lastSeq: 8, lastHash: records[7]!.hash } });
  });

  it('CSV: writes controls and lone surrogates as U+FFFD, so no cell starts with a control, and neutralises full-width formula starts', () => {
    const exported = body('csv', records);
    const text = exported.bytes.toString('utf8');
    expect(walk(walkerOf('csv', exported), exported, 2).fault).toBeNull();
    // Python's csv module (RFC 4180 dialect): every row has every column; no cell holds a control but tab and line breaks.
    const script = 'import csv,json,sys; print(json.dumps([r[8] for r in csv.reader(sys.stdin) if len(r) == 16]))';
    const reasons = JSON.parse(execFileSync('python3', ['-c', script], { input: text, env: { ...process.env, PYTHONIOENCODING: 'utf-8' } }).toString()) as string[];
    expect(reasons).toHaveLength(9);
    for (const cell of reasons.slice(1)) expect(controls(cell, '\t\r\n', true)).toEqual([]);
    expect(reasons.slice(1)).toEqual([
      'a\ufffdb\ufffd\ufffd\ufffd\ufffd\ufffd[2J\ufffd\ufffd\ufffd\ufffd x\ufffdy\ufffdz \ufdd0\ufffe\uffff\u{10ffff}\u2028\u2029\t\r\n<&>"\'end',
      '\ufffd=1+1',
      '\ufffd=1',
      "'\n=1+1",
      "'\uff1d1+1",
      "'\uff0bcmd",
      "'\uff0d1",
      "'\uff20SUM(A1)",
    ]);
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
