import { CBV_BIZSTEP_URI, CBV_DISPOSITION_URI, type ChainLink, M2M_NAMESPACE } from '@m2m-trust/audit-domain';

import { type BodySummary, type BodyWalker, RecordTally } from './export-body';
import { type ExportReader, type ExportTrailer, type ExportWriter, type SplitExport, type TrailerProblem } from './export-codec';
import { LineSplitter } from './line.splitter';
import { documentFault, recordFault, type VerifyFault } from './verify-fault';

/** The last line of an XML export: a processing instruction after the root element (base64url never holds `?>`). */
export const XML_MANIFEST_MARKER = '<?m2m-manifest ';

// Line breaks become character references too, so every event stays on one line of the file.
const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\r': '&#13;' };
export const xmlText = (value: string): string => value.replace(/[&<>"'\n\r]/g, (c) => XML_ESCAPES[c] as string);
/** Bare CBV words become their CBV 2.0 URIs: the XML schema types these fields as URIs. */
const cbvUri = (value: string, base: string): string => (/^[a-z_]+$/.test(value) ? `${base}${value}` : value);
const STANDARD_FIELDS = new Set(['type', 'eventTime', 'recordTime', 'eventTimeZoneOffset', 'eventID', 'epcList', 'action', 'bizStep', 'disposition']);

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
    if (STANDARD_FIELDS.has(name) || !name.startsWith('m2m:') || typeof value !== 'string') continue;
    xml += element(name, value);
  }
  return `${xml}${trailing}</${type}>`;
}

/**
 * EPCIS 2.0 XML (urn:epcglobal:epcis:xsd:2), valid against GS1's XSD: the
 * standard fields in the schema's order, the project's extension fields and
 * the chain link as elements in its own namespace, one event per line.
 */
export class XmlExportWriter implements ExportWriter {
  readonly contentType = 'application/xml; charset=utf-8';
  readonly extension = 'xml';

  start(creationDate: string): string {
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:m2m="${M2M_NAMESPACE}" schemaVersion="2.0" creationDate="${xmlText(creationDate)}">` +
      '<EPCISBody><EventList>\n'
    );
  }

  record(event: Readonly<Record<string, unknown>>, link: ChainLink): string {
    const chain = `<m2m:seq>${link.seq}</m2m:seq><m2m:prevHash>${xmlText(link.prevHash)}</m2m:prevHash><m2m:recordHash>${xmlText(link.hash)}</m2m:recordHash>`;
    return `${xmlEventElement(event, chain)}\n`;
  }

  end(): string {
    return '</EventList></EPCISBody></epcis:EPCISDocument>\n';
  }

  manifest(jws: string): string {
    return `${XML_MANIFEST_MARKER}${jws}?>\n`;
  }
}

const EVENT = /^<ObjectEvent>.*<m2m:seq>([1-9]\d*)<\/m2m:seq>.*<m2m:recordHash>([0-9a-f]{64})<\/m2m:recordHash><\/ObjectEvent>$/;

/**
 * Walks the body of an XML export, which the service writes one event per
 * line between the document's opening and closing lines: counts the events
 * and reads their sequence range and last record hash for the manifest's
 * claims. As with CSV, the signature and body hash vouch for the content;
 * the JSON-LD export is the one whose records are re-hashed.
 */
export class XmlExportWalker implements BodyWalker {
  readonly checks = 'the document frame, and the event count, sequence range and last record hash against the manifest';
  private readonly lines = new LineSplitter();
  private line = 0;
  private closed = false;
  private readonly tally = new RecordTally();
  private fault: VerifyFault | null = null;

  push(chunk: Buffer): VerifyFault | null {
    this.lines.push(chunk, (line) => this.take(line.toString('utf8')));
    return this.fault;
  }

  end(): VerifyFault | null {
    if (this.fault === null) this.lines.end((line) => this.take(line.toString('utf8')));
    if (this.fault === null && !this.closed) this.fault = documentFault('document_malformed', this.line, 'the document is never closed');
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
    if (this.closed) {
      if (text.trim() !== '') this.fault = documentFault('document_malformed', this.line, 'content after the end of the document');
      return;
    }
    if (text === '</EventList></EPCISBody></epcis:EPCISDocument>') {
      this.closed = true;
      return;
    }
    const match = EVENT.exec(text);
    if (!match) {
      this.fault = recordFault('malformed_record', null, this.line, 'the line is not one ObjectEvent with its m2m:seq and m2m:recordHash');
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
  walker: () => new XmlExportWalker(),
  split: splitXml,
};
