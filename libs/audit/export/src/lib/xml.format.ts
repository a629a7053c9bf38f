import { CBV_BIZSTEP_URI, CBV_DISPOSITION_URI, type ChainLink, M2M_NAMESPACE } from '@m2m-trust/audit-domain';

import { type BodySummary, type BodyWalker, RecordTally } from './export-body';
import { type ExportReader, type ExportTrailer, type ExportWriter, type SplitExport, type TrailerProblem } from './export-codec';
import { linksInEvents } from './export-manifest';
import { xmlChars } from './forbidden-characters';
import { LineSplitter } from './line.splitter';
import { documentFault, recordFault, type VerifyFault } from './verify-fault';

/** The last line of an XML export: a processing instruction after the root element (base64url never holds `?>`). */
export const XML_MANIFEST_MARKER = '<?m2m-manifest ';

// Line breaks (Unicode's line and paragraph separators too) become character references, so every event stays on one line of the file.
const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\n': '&#10;',
  '\r': '&#13;',
  '\u2028': '&#x2028;',
  '\u2029': '&#x2029;',
};
/**
 * Text or an attribute value as XML 1.0 admits it: markup escaped, and what
 * no XML 1.0 document may hold (NUL and other controls, lone surrogates,
 * U+FFFE, U+FFFF: not even as a character reference) written as U+FFFD.
 */
export const xmlText = (value: string): string => xmlChars(value).replace(/[&<>"'\n\r\u2028\u2029]/g, (c) => XML_ESCAPES[c] as string);
/** The project's extension fields, as the mapping names them: an element name, whatever else a record might hold. */
const EXTENSION_ELEMENT = /^m2m:[A-Za-z][A-Za-z0-9]*$/;
/** Bare CBV words become their CBV 2.0 URIs: the XML schema types these fields as URIs. */
const cbvUri = (value: string, base: string): string => (/^[a-z_]+$/.test(value) ? `${base}${value}` : value);
const STANDARD_FIELDS = new Set(['type', 'eventTime', 'recordTime', 'eventTimeZoneOffset', 'eventID', 'epcList', 'action', 'bizStep', 'disposition']);

/** The line that closes the event list and opens the chain section. */
export const XML_CHAIN_OPENER = '</EventList></EPCISBody><m2m:chain>';
const XML_END = '</m2m:chain></epcis:EPCISDocument>';

/**
 * One event as an EPCIS 2.0 XML element on one line: the standard fields in
 * the schema's order, then the project's extension fields as `m2m:`
 * elements (the enclosing document declares the prefix), then `trailing`.
 * The export and the query binding's XML answers write events with it.
 */
export function xmlEventElement(event: Readonly<Record<string, unknown>>, trailing = ''): string {
  const text = (name: string): string | null => (typeof event[name] === 'string' ? (event[name] as string) : null);
  const element = (name: string, value: string | null): string => (value === null ? '' : `<${name}>${xmlText(value)}</${name}>`);
  const epcs = Array.isArray(event['epcList']) ? (event['epcList'] as string[]) : [];
  const type = text('type') ?? 'ObjectEvent';
  let xml =
    `<${type}>` +
    element('eventTime', text('eventTime')) +
    element('recordTime', text('recordTime')) +
    element('eventTimeZoneOffset', text('eventTimeZoneOffset')) +
    element('eventID', text('eventID')) +
    `<epcList>${epcs.map((epc) => element('epc', epc)).join('')}</epcList>` +
    element('action', text('action')) +
    element('bizStep', text('bizStep') && cbvUri(text('bizStep') as string, CBV_BIZSTEP_URI)) +
    element('disposition', text('disposition') && cbvUri(text('disposition') as string, CBV_DISPOSITION_URI));
  for (const [name, value] of Object.entries(event)) {
    if (STANDARD_FIELDS.has(name) || !EXTENSION_ELEMENT.test(name) || typeof value !== 'string') continue;
    xml += element(name, value);
  }
  return `${xml}${trailing}</${type}>`;
}

/**
 * EPCIS 2.0 XML (urn:epcglobal:epcis:xsd:2), valid against GS1's XSD: the
 * standard fields in the schema's order, the project's extension fields as
 * elements in its own namespace, one event per line; then, after EPCISBody
 * (where the schema admits elements of other namespaces), `<m2m:chain>` with
 * each event's `<m2m:link seq prevHash recordHash/>` in the same order, so
 * that no event carries anything GS1's event hash does not expect.
 */
export class XmlExportWriter implements ExportWriter {
  readonly contentType = 'application/xml; charset=utf-8';
  readonly extension = 'xml';
  readonly chained = true;
  readonly embedsManifest = true;

  start(creationDate: string): string {
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:m2m="${M2M_NAMESPACE}" schemaVersion="2.0" creationDate="${xmlText(creationDate)}">` +
      '<EPCISBody><EventList>\n'
    );
  }

  record(event: Readonly<Record<string, unknown>>): string {
    return `${xmlEventElement(event)}\n`;
  }

  openChain(): string {
    return `${XML_CHAIN_OPENER}\n`;
  }

  link(link: ChainLink): string {
    return `<m2m:link seq="${link.seq}" prevHash="${link.prevHash}" recordHash="${link.hash}"/>\n`;
  }

  end(): string {
    return `${XML_END}\n`;
  }

  manifest(jws: string): string {
    return `${XML_MANIFEST_MARKER}${jws}?>\n`;
  }
}

// `s`: an export written before line separators became references may hold U+2028 inside an event's line.
const EVENT = /^<ObjectEvent>.*<\/ObjectEvent>$/s;
const LINK = /^<m2m:link seq="([1-9]\d*)" prevHash="[0-9a-f]{64}" recordHash="([0-9a-f]{64})"\/>$/;
/** An event line of an export written before the chain section, with its link inside. */
const EVENT_WITH_LINK = /^<ObjectEvent>.*<m2m:seq>([1-9]\d*)<\/m2m:seq>.*<m2m:recordHash>([0-9a-f]{64})<\/m2m:recordHash><\/ObjectEvent>$/s;
const LEGACY_END = '</EventList></EPCISBody></epcis:EPCISDocument>';

/**
 * Walks the body of an XML export, which the service writes one event per
 * line between the document's opening line and its chain section, one link
 * per line: counts the events and the links (one each) and reads the links'
 * sequence range and last record hash for the manifest's claims. As with
 * CSV, the signature and body hash vouch for the content; the JSON-LD export
 * is the one whose records are re-hashed. An export written before the chain
 * section (`linksInEvents`) has each link inside its event.
 */
export class XmlExportWalker implements BodyWalker {
  readonly checks = 'the document frame, and the event count, sequence range and last record hash against the manifest';
  private readonly lines = new LineSplitter();
  private line = 0;
  private state: 'events' | 'chain' | 'closed' = 'events';
  private events = 0;
  private readonly tally = new RecordTally();
  private fault: VerifyFault | null = null;

  constructor(private readonly linksInEvents: boolean) {}

  push(chunk: Buffer): VerifyFault | null {
    this.lines.push(chunk, (line) => this.take(line.toString('utf8')));
    return this.fault;
  }

  end(): VerifyFault | null {
    if (this.fault === null) this.lines.end((line) => this.take(line.toString('utf8')));
    if (this.fault === null && this.state !== 'closed') this.fault = documentFault('document_malformed', this.line, 'the document is never closed');
    return this.fault;
  }

  summary(): BodySummary {
    return this.tally.summary();
  }

  /** Reads one line; false once something is wrong, which stops the walk. */
  private take(text: string): boolean {
    this.inspect(text);
    return this.fault === null;
  }

  private inspect(text: string): void {
    this.line++;
    if (this.line === 1) {
      if (!text.startsWith('<?xml')) this.fault = documentFault('document_malformed', 1, 'the file does not start with an XML declaration');
      return;
    }
    if (this.line === 2) {
      if (!text.startsWith('<epcis:EPCISDocument ') || !text.endsWith('<EPCISBody><EventList>')) {
        this.fault = documentFault('document_malformed', 2, 'the second line does not open an EPCISDocument event list');
      }
      return;
    }
    if (this.state === 'closed') {
      if (text.trim() !== '') this.fault = documentFault('document_malformed', this.line, 'content after the end of the document');
      return;
    }
    if (this.linksInEvents) return this.legacyLine(text);
    if (this.state === 'events') {
      if (text === XML_CHAIN_OPENER) this.state = 'chain';
      else if (EVENT.test(text)) this.events++;
      else this.fault = recordFault('malformed_record', null, this.line, 'the line is not one ObjectEvent');
      return;
    }
    if (text === XML_END) {
      this.state = 'closed';
      const links = this.tally.summary().count;
      if (links !== this.events) this.fault = documentFault('document_malformed', this.line, `the chain section has ${links} links for ${this.events} events`);
      return;
    }
    this.link(LINK.exec(text), 'the line is not one m2m:link with its seq, prevHash and recordHash');
  }

  private legacyLine(text: string): void {
    if (text === LEGACY_END) this.state = 'closed';
    else this.link(EVENT_WITH_LINK.exec(text), 'the line is not one ObjectEvent with its m2m:seq and m2m:recordHash');
  }

  private link(match: RegExpExecArray | null, malformed: string): void {
    if (!match) {
      this.fault = recordFault('malformed_record', null, this.line, malformed);
      return;
    }
    const seq = Number(match[1]);
    const last = this.tally.last;
    if (last !== null && seq <= last) {
      this.fault = recordFault('sequence_gap', seq, this.line, `sequence ${seq} does not follow ${last}`);
      return;
    }
    this.tally.add(seq, match[2] as string);
  }
}

function xmlTrailer(line: string, lineOffset: number, size: number): ExportTrailer | TrailerProblem {
  if (!line.startsWith(XML_MANIFEST_MARKER) || !line.endsWith('?>')) {
    return { problem: 'manifest_missing', detail: `the last line is not "${XML_MANIFEST_MARKER}<JWS>?>"` };
  }
  return { format: 'xml', bodyLength: lineOffset, size, jws: line.slice(XML_MANIFEST_MARKER.length, -2).trim() };
}

function splitXml(file: Buffer, text: string): SplitExport | null | undefined {
  const xml = text.lastIndexOf(`\n${XML_MANIFEST_MARKER}`);
  if (!(text.startsWith('<?xml') && xml > 0)) return undefined;
  const tail = file.subarray(xml + 1 + XML_MANIFEST_MARKER.length).toString('utf8').trim();
  return tail.endsWith('?>') ? { format: 'xml', body: file.subarray(0, xml + 1), jws: tail.slice(0, -2) } : null;
}

/** The XML format read back. */
export const XML_READER: ExportReader = {
  format: 'xml',
  starts: (head) => head.startsWith('<?xml'),
  trailer: xmlTrailer,
  walker: ({ manifest }) => new XmlExportWalker(linksInEvents(manifest)),
  split: splitXml,
};
