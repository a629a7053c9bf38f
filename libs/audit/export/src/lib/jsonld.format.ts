import { CHAIN_FIELDS, type ChainLink, ChainVerifier, EPCIS_CONTEXT, splitChainLink } from '@m2m-trust/audit-domain';

import { ChainSectionReader, locateChainSection } from './chain-section.reader';
import { type BodySummary, type BodyWalker, type SchemaCheck } from './export-body';
import { type ExportReader, type ExportTrailer, type ExportWriter, type SplitExport, type TrailerProblem } from './export-codec';
import { linksInEvents } from './export-manifest';
import { LineSplitter } from './line.splitter';
import { documentFault, recordFault, type VerifyFault } from './verify-fault';

/** The key that follows an EPCISDocument's body in a JSON-LD export. */
export const JSONLD_MANIFEST_MARKER = ',"m2m:manifest":';

/** The line that closes the event list and opens the chain section. */
export const JSONLD_CHAIN_OPENER = ']},"m2m:chain":[';

const chainLinkJson = (link: ChainLink): string =>
  `{"${CHAIN_FIELDS.seq}":${link.seq},"${CHAIN_FIELDS.prevHash}":"${link.prevHash}","${CHAIN_FIELDS.hash}":"${link.hash}"}`;

/**
 * An EPCISDocument written open: one event per line exactly as stored (so
 * GS1's event hash of each reproduces its eventID), then, after the event
 * list, the document-level `m2m:chain`: each event's link in the same order,
 * one per line; the manifest is the document's last key.
 */
export class JsonLdExportWriter implements ExportWriter {
  readonly contentType = 'application/ld+json; charset=utf-8';
  readonly extension = 'jsonld';
  readonly chained = true;
  readonly embedsManifest = true;
  private first = true;

  start(creationDate: string): string {
    const head = JSON.stringify({ '@context': EPCIS_CONTEXT, type: 'EPCISDocument', schemaVersion: '2.0', creationDate });
    // The document is written open, its event list streamed in, then its chain section, then closed.
    return `${head.slice(0, -1)},"epcisBody":{"eventList":[\n`;
  }

  record(event: Readonly<Record<string, unknown>>): string {
    return this.separated(JSON.stringify(event));
  }

  openChain(): string {
    this.first = true;
    return `\n${JSONLD_CHAIN_OPENER}\n`;
  }

  link(link: ChainLink): string {
    return this.separated(chainLinkJson(link));
  }

  end(): string {
    return '\n]';
  }

  manifest(jws: string): string {
    return `${JSONLD_MANIFEST_MARKER}${JSON.stringify(jws)}}\n`;
  }

  private separated(line: string): string {
    const out = this.first ? line : `,\n${line}`;
    this.first = false;
    return out;
  }
}

const HEAD_END = '"eventList":[';
const CR = 0x0d;

/**
 * Walks the body of a JSON-LD export line by line, as the service writes it:
 * the document's head, one event per line, `]},"m2m:chain":[`, one link per
 * line, `]`. Each event is paired with its link, read by a
 * {@link ChainSectionReader} from the manifest's `chainStart`, and goes
 * through the audit domain's ChainVerifier: its CBV event hash ID and record
 * hash recomputed, and the chain walked contiguous from record 1 for a
 * complete export, or each record on its own and in increasing order for a
 * filtered one. An export written before the chain section (its manifest has
 * no `chainStart`) carries each link inside its event, which is split off
 * before hashing, and ends with `]}`. Memory holds a line of each at a time.
 */
export class JsonLdExportWalker implements BodyWalker {
  readonly checks: string;
  private readonly lines = new LineSplitter();
  private readonly chain: ChainVerifier;
  private state: 'head' | 'events' | 'chain' | 'closed' = 'head';
  private lineNumber = 0;
  /** Bytes of the body before the current line. */
  private offset = 0;
  private context: unknown;
  private first: ChainLink | null = null;
  private fault: VerifyFault | null = null;

  /** `links`: the chain section, read beside the events; null for a file whose links are inside its events. */
  constructor(
    complete: boolean,
    private readonly schema: SchemaCheck | undefined,
    private readonly links: { readonly reader: ChainSectionReader; readonly start: number } | null,
    onLeaf?: (link: ChainLink, leaf: Buffer) => void,
  ) {
    this.chain = new ChainVerifier({ contiguous: complete, ...(onLeaf ? { onLeaf } : {}) });
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
      const what = { head: 'the document has no event list', events: 'the event list is not closed', chain: 'the chain section is not closed' }[this.state];
      this.fault = documentFault('document_malformed', this.lineNumber, what);
    }
    return this.fault;
  }

  summary(): BodySummary {
    const last = this.chain.head;
    return { count: this.chain.verified, firstSeq: this.first?.seq ?? null, lastSeq: last?.seq ?? null, lastHash: last?.hash ?? null };
  }

  private line(bytes: Buffer): boolean {
    this.lineNumber++;
    const start = this.offset;
    this.offset += bytes.length + 1;
    const fault =
      this.state === 'head' ? this.head(bytes) : this.state === 'events' ? this.event(bytes, start) : this.state === 'chain' ? this.inChain(bytes) : this.afterEnd(bytes);
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

  private event(bytes: Buffer, start: number): VerifyFault | null {
    let end = bytes.length;
    while (end > 0 && (bytes[end - 1] === CR || bytes[end - 1] === 0x20)) end--;
    if (end === 0) return null;
    const text = bytes.toString('utf8', 0, end);
    if (this.links !== null && text === JSONLD_CHAIN_OPENER) return this.chainOpened(start + bytes.length + 1);
    if (this.links === null && text === ']}') {
      this.state = 'closed'; // `]}`: the list and the body end.
      return null;
    }
    // Every event line but the last ends with the comma that separates it from the next.
    let exported: unknown;
    try {
      exported = JSON.parse(text.endsWith(',') ? text.slice(0, -1) : text);
    } catch {
      return recordFault('malformed_record', null, this.lineNumber, 'the line is not a JSON event');
    }
    if (typeof exported !== 'object' || exported === null || Array.isArray(exported)) {
      return recordFault('malformed_record', null, this.lineNumber, 'the line is not a JSON object');
    }
    const paired = this.paired(exported as Record<string, unknown>);
    if (typeof paired === 'string') return recordFault('malformed_record', null, this.lineNumber, paired);
    const { event, link } = paired;
    const fault = this.chain.check(event, link);
    if (fault !== null) return recordFault(fault.problem, fault.seq, this.lineNumber);
    this.first ??= link;
    if (this.schema) {
      // An event stands alone against the schema with the document's @context, as the schema requires of a bare event.
      const invalid = this.schema.check({ '@context': this.context, ...exported });
      if (invalid !== null) return recordFault('schema_invalid', link.seq, this.lineNumber, `the event does not validate against the EPCIS JSON Schema: ${invalid}`);
    }
    return null;
  }

  /** The event with its link: the next one of the chain section, or split off the event in the layout before it. */
  private paired(exported: Record<string, unknown>): { event: Record<string, unknown>; link: ChainLink } | string {
    if (this.links === null) {
      return splitChainLink(exported) ?? 'its chain link (m2m:seq, m2m:prevHash, m2m:recordHash) is missing or malformed';
    }
    const link = this.links.reader.next();
    if (link === 'end') return 'the chain section has no link for this event';
    if (typeof link === 'string') return link;
    return { event: exported, link };
  }

  private chainOpened(at: number): VerifyFault | null {
    if (at !== this.links?.start) {
      return documentFault('document_malformed', this.lineNumber, `a second chain section starts at byte ${at} (the links were read from byte ${this.links?.start})`);
    }
    const extra = this.links.reader.next();
    if (extra !== 'end') return documentFault('document_malformed', this.lineNumber, typeof extra === 'string' ? extra : 'the chain section has more links than events');
    this.state = 'chain';
    return null;
  }

  /** The links were read beside the events; here only the section's end matters. */
  private inChain(bytes: Buffer): VerifyFault | null {
    if (bytes.toString('utf8').trim() === ']') this.state = 'closed';
    return null;
  }

  private afterEnd(bytes: Buffer): VerifyFault | null {
    return bytes.toString('utf8').trim() === '' ? null : documentFault('document_malformed', this.lineNumber, 'content follows the end of the document');
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
  walker: ({ manifest, schema, readAt, bodyLength, onLeaf }) => {
    if (linksInEvents(manifest) || manifest.chainStart == null) return new JsonLdExportWalker(manifest.complete, schema, null, onLeaf);
    const start = locateChainSection(readAt, JSONLD_CHAIN_OPENER, manifest.chainStart, bodyLength) ?? manifest.chainStart;
    return new JsonLdExportWalker(manifest.complete, schema, { reader: new ChainSectionReader(readAt, start, bodyLength), start }, onLeaf);
  },
  split: splitJsonLd,
};
