import { CHAIN_FIELDS, type ChainLink, ChainVerifier, EPCIS_CONTEXT, splitChainLink, withChainLink } from '@m2m-trust/audit-domain';

import { type BodySummary, type BodyWalker, type SchemaCheck } from './export-body';
import { type ExportReader, type ExportTrailer, type ExportWriter, type SplitExport, type TrailerProblem } from './export-codec';
import { LineSplitter } from './line.splitter';
import { documentFault, recordFault, type VerifyFault } from './verify-fault';

/** The key that follows an EPCISDocument's body in a JSON-LD export. */
export const JSONLD_MANIFEST_MARKER = ',"m2m:manifest":';

const CHAIN_KEYS: readonly string[] = Object.values(CHAIN_FIELDS);
const jsonKey = (key: string): string => `${JSON.stringify(key)}:`;
const [SEQ_KEY, PREV_HASH_KEY, HASH_KEY] = [jsonKey(CHAIN_FIELDS.seq), jsonKey(CHAIN_FIELDS.prevHash), jsonKey(CHAIN_FIELDS.hash)];

/**
 * `JSON.stringify(withChainLink(event, link))`, byte for byte, without the
 * copy: the link's keys are new string keys, so they serialise last, after
 * the event's own. The copy (an object spread plus three keys) is what a
 * large export's memory went on: V8 promoted the discarded copies into the
 * old generation, about 1 KB a record, faster than it collected them. An
 * event that already carries a link key (the copy overwrites it in place)
 * takes the copying path.
 */
function jsonWithChainLink(event: Readonly<Record<string, unknown>>, link: ChainLink): string {
  if (CHAIN_KEYS.some((key) => Object.hasOwn(event, key))) return JSON.stringify(withChainLink(event, link));
  const json = JSON.stringify(event);
  const fields = `${SEQ_KEY}${JSON.stringify(link.seq)},${PREV_HASH_KEY}${JSON.stringify(link.prevHash)},${HASH_KEY}${JSON.stringify(link.hash)}}`;
  return json === '{}' ? `{${fields}` : `${json.slice(0, -1)},${fields}`;
}

/** An EPCISDocument written open, one event with its chain link per line, then closed; the manifest is its last key. */
export class JsonLdExportWriter implements ExportWriter {
  readonly contentType = 'application/ld+json; charset=utf-8';
  readonly extension = 'jsonld';
  private first = true;

  start(creationDate: string): string {
    const head = JSON.stringify({ '@context': EPCIS_CONTEXT, type: 'EPCISDocument', schemaVersion: '2.0', creationDate });
    // The document is written open, its event list streamed in, then closed.
    return `${head.slice(0, -1)},"epcisBody":{"eventList":[\n`;
  }

  record(event: Readonly<Record<string, unknown>>, link: ChainLink): string {
    const line = jsonWithChainLink(event, link);
    const out = this.first ? line : `,\n${line}`;
    this.first = false;
    return out;
  }

  end(): string {
    return '\n]}';
  }

  manifest(jws: string): string {
    return `${JSONLD_MANIFEST_MARKER}${JSON.stringify(jws)}}\n`;
  }
}

const HEAD_END = '"eventList":[';
const COMMA = 0x2c;
const CR = 0x0d;

/**
 * Walks the body of a JSON-LD export line by line, as the service writes it:
 * the document's head, one event per line (each with its chain link), then
 * `]}`. Every event goes through the audit domain's ChainVerifier: its CBV
 * event hash ID and record hash recomputed, and the chain walked contiguous
 * from record 1 for a complete export, or each record on its own and in
 * increasing order for a filtered one. Memory holds one line at a time.
 */
export class JsonLdExportWalker implements BodyWalker {
  readonly checks: string;
  private readonly lines = new LineSplitter();
  private readonly chain: ChainVerifier;
  private state: 'head' | 'events' | 'closed' = 'head';
  private lineNumber = 0;
  private context: unknown;
  private first: ChainLink | null = null;
  private fault: VerifyFault | null = null;

  constructor(
    complete: boolean,
    private readonly schema: SchemaCheck | undefined,
  ) {
    this.chain = new ChainVerifier({ contiguous: complete });
    this.checks = complete
      ? 'every event hash ID and record hash, and the chain contiguous from record 1'
      : 'every event hash ID and record hash, each record on its own and in increasing order (a filtered export)';
  }

  push(chunk: Buffer): VerifyFault | null {
    if (this.fault === null) this.lines.push(chunk, (line) => this.line(line));
    return this.fault;
  }

  end(): VerifyFault | null {
    if (this.fault === null) this.lines.end((line) => this.line(line));
    if (this.fault === null && this.state !== 'closed') {
      this.fault = documentFault('document_malformed', this.lineNumber, this.state === 'head' ? 'the document has no event list' : 'the event list is not closed');
    }
    return this.fault;
  }

  summary(): BodySummary {
    const last = this.chain.head;
    return { count: this.chain.verified, firstSeq: this.first?.seq ?? null, lastSeq: last?.seq ?? null, lastHash: last?.hash ?? null };
  }

  private line(bytes: Buffer): boolean {
    this.lineNumber++;
    const fault = this.state === 'head' ? this.head(bytes) : this.state === 'events' ? this.event(bytes) : this.afterList(bytes);
    if (fault === null) return true;
    this.fault = fault;
    return false;
  }

  /** `{"@context":…,"type":"EPCISDocument",…,"epcisBody":{"eventList":[`: the document around the events. */
  private head(bytes: Buffer): VerifyFault | null {
    const text = bytes.toString('utf8').trimEnd();
    const malformed = (detail: string): VerifyFault => documentFault('document_malformed', this.lineNumber, detail);
    if (!text.endsWith(HEAD_END)) return malformed(`the first line does not open the event list (${HEAD_END})`);
    let document: Record<string, unknown>;
    try {
      document = JSON.parse(`${text}]}}`) as Record<string, unknown>;
    } catch {
      return malformed('the first line is not the head of a JSON document');
    }
    const body = document['epcisBody'];
    if (document['type'] !== 'EPCISDocument' || typeof body !== 'object' || body === null || Object.keys(body).length !== 1) {
      return malformed('not an EPCISDocument whose body is its event list');
    }
    this.context = document['@context'];
    const invalid = this.schema?.check(document) ?? null;
    if (invalid !== null) return documentFault('document_schema_invalid', this.lineNumber, `the document (with an empty event list): ${invalid}`);
    this.state = 'events';
    return null;
  }

  private event(bytes: Buffer): VerifyFault | null {
    let end = bytes.length;
    while (end > 0 && (bytes[end - 1] === CR || bytes[end - 1] === 0x20)) end--;
    if (end === 0) return null;
    if (end === 2 && bytes[0] === 0x5d && bytes[1] === 0x7d) {
      this.state = 'closed'; // `]}`: the list and the body end.
      return null;
    }
    // Every event line but the last ends with the comma that separates it from the next.
    if (bytes[end - 1] === COMMA) end--;
    let exported: unknown;
    try {
      exported = JSON.parse(bytes.toString('utf8', 0, end));
    } catch {
      return recordFault('malformed_record', null, this.lineNumber, 'the line is not a JSON event');
    }
    if (typeof exported !== 'object' || exported === null || Array.isArray(exported)) {
      return recordFault('malformed_record', null, this.lineNumber, 'the line is not a JSON object');
    }
    const split = splitChainLink(exported as Record<string, unknown>);
    if (split === null) {
      const seq = (exported as Record<string, unknown>)['m2m:seq'];
      return recordFault('malformed_record', Number.isSafeInteger(seq) ? (seq as number) : null, this.lineNumber, 'its chain link (m2m:seq, m2m:prevHash, m2m:recordHash) is missing or malformed');
    }
    const fault = this.chain.check(split.event, split.link);
    if (fault !== null) return recordFault(fault.problem, fault.seq, this.lineNumber);
    this.first ??= split.link;
    if (this.schema) {
      // An event stands alone against the schema with the document's @context, as the schema requires of a bare event.
      const invalid = this.schema.check({ '@context': this.context, ...exported });
      if (invalid !== null) return recordFault('schema_invalid', split.link.seq, this.lineNumber, `the event does not validate against the EPCIS JSON Schema: ${invalid}`);
    }
    return null;
  }

  private afterList(bytes: Buffer): VerifyFault | null {
    return bytes.toString('utf8').trim() === '' ? null : documentFault('document_malformed', this.lineNumber, 'content follows the closed event list');
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

function splitJsonLd(file: Buffer, text: string): SplitExport | null | undefined {
  const json = text.lastIndexOf(JSONLD_MANIFEST_MARKER);
  if (!(text.startsWith('{') && json > 0)) return undefined;
  const tail = file.subarray(json + JSONLD_MANIFEST_MARKER.length).toString('utf8').trim();
  if (!tail.endsWith('}')) return null;
  try {
    const jws = JSON.parse(tail.slice(0, -1)) as unknown;
    return typeof jws === 'string' ? { format: 'jsonld', body: file.subarray(0, json), jws } : null;
  } catch {
    return null;
  }
}

/** The JSON-LD format read back. */
export const JSONLD_READER: ExportReader = {
  format: 'jsonld',
  starts: (head) => head.startsWith('{'),
  trailer: jsonLdTrailer,
  walker: (complete, schema) => new JsonLdExportWalker(complete, schema),
  split: splitJsonLd,
};
