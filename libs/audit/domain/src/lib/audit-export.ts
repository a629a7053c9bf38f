import { stringify } from 'csv-stringify/sync';

import { CHAIN_FIELDS, type ChainLink, withChainLink } from './audit-chain';
import { CBV_BIZSTEP_URI, CBV_DISPOSITION_URI, EPCIS_CONTEXT, M2M_NAMESPACE } from './epcis-vocabulary';

export const EXPORT_FORMATS = ['jsonld', 'xml', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_MANIFEST_JWS_TYPE = 'm2m-audit-export+jws';

/**
 * What an export's signed manifest asserts. `bodySha256` covers every byte of
 * the file before the manifest itself; `complete` says the export holds every
 * record from 1 to `lastSeq` (no filters), so its chain can be walked whole.
 */
export interface ExportManifest {
  readonly iss: string;
  readonly iat: number;
  readonly format: ExportFormat;
  readonly count: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Hash of the last exported record: the chain head when the export is complete. */
  readonly chainHead: string | null;
  /** The chain's head when the export started (every exported record is at or before it). */
  readonly snapshotSeq: number;
  readonly complete: boolean;
  readonly filters: Readonly<Record<string, string>>;
  readonly bodySha256: string;
}

/** Turns records into one export format, a piece at a time, so an export streams in flat memory. */
export interface ExportWriter {
  readonly contentType: string;
  readonly extension: string;
  start(creationDate: string): string;
  record(event: Readonly<Record<string, unknown>>, link: ChainLink): string;
  /** The end of the body: the last bytes the manifest's hash covers. */
  end(): string;
  /** Appended after the body: the signed manifest, in the format's own syntax. */
  manifest(jws: string): string;
}

/** The key that follows an EPCISDocument's body in a JSON-LD export. */
export const JSONLD_MANIFEST_MARKER = ',"m2m:manifest":';
/** The last line of an XML export: a processing instruction after the root element (base64url never holds `?>`). */
export const XML_MANIFEST_MARKER = '<?m2m-manifest ';
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

class JsonLdExportWriter implements ExportWriter {
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

// Line breaks become character references too, so every event stays on one line of the file.
const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\r': '&#13;' };
const xmlText = (value: string): string => value.replace(/[&<>"'\n\r]/g, (c) => XML_ESCAPES[c] as string);
/** Bare CBV words become their CBV 2.0 URIs: the XML schema types these fields as URIs. */
const cbvUri = (value: string, base: string): string => (/^[a-z_]+$/.test(value) ? `${base}${value}` : value);
const STANDARD_FIELDS = new Set(['type', 'eventTime', 'recordTime', 'eventTimeZoneOffset', 'eventID', 'epcList', 'action', 'bizStep', 'disposition']);

/**
 * EPCIS 2.0 XML (urn:epcglobal:epcis:xsd:2), valid against GS1's XSD: the
 * standard fields in the schema's order, the project's extension fields and
 * the chain link as elements in its own namespace, one event per line.
 */
class XmlExportWriter implements ExportWriter {
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
    const text = (name: string): string | null => (typeof event[name] === 'string' ? (event[name] as string) : null);
    const element = (name: string, value: string | null): string => (value === null ? '' : `<${name}>${xmlText(value)}</${name}>`);
    const epcs = Array.isArray(event['epcList']) ? (event['epcList'] as string[]) : [];
    let xml =
      `<${text('type') ?? 'ObjectEvent'}>` +
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
    xml += element('m2m:seq', String(link.seq)) + element('m2m:prevHash', link.prevHash) + element('m2m:recordHash', link.hash);
    return `${xml}</${text('type') ?? 'ObjectEvent'}>\n`;
  }

  end(): string {
    return '</EventList></EPCISBody></epcis:EPCISDocument>\n';
  }

  manifest(jws: string): string {
    return `${XML_MANIFEST_MARKER}${jws}?>\n`;
  }
}

class CsvExportWriter implements ExportWriter {
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

/**
 * Splits an export file into the body its manifest signs and the manifest
 * JWS, or null when the file does not end with one. Works on bytes: the body
 * is hashed exactly as it was written.
 */
export function splitExport(file: Buffer): { format: ExportFormat; body: Buffer; jws: string } | null {
  const text = file.toString('latin1'); // byte-preserving view for searching
  const json = text.lastIndexOf(JSONLD_MANIFEST_MARKER);
  if (text.startsWith('{') && json > 0) {
    const tail = file.subarray(json + JSONLD_MANIFEST_MARKER.length).toString('utf8').trim();
    if (!tail.endsWith('}')) return null;
    try {
      const jws = JSON.parse(tail.slice(0, -1)) as unknown;
      return typeof jws === 'string' ? { format: 'jsonld', body: file.subarray(0, json), jws } : null;
    } catch {
      return null;
    }
  }
  const xml = text.lastIndexOf(`\n${XML_MANIFEST_MARKER}`);
  if (text.startsWith('<?xml') && xml > 0) {
    const tail = file.subarray(xml + 1 + XML_MANIFEST_MARKER.length).toString('utf8').trim();
    return tail.endsWith('?>') ? { format: 'xml', body: file.subarray(0, xml + 1), jws: tail.slice(0, -2) } : null;
  }
  const csv = text.lastIndexOf(`\n${CSV_MANIFEST_MARKER}`);
  if (text.startsWith(CSV_COLUMNS[0]) && csv > 0) {
    const jws = file.subarray(csv + 1 + CSV_MANIFEST_MARKER.length).toString('utf8').trim();
    return { format: 'csv', body: file.subarray(0, csv + 1), jws };
  }
  return null;
}
