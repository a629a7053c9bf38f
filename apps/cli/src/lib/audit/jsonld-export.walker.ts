import { type ChainLink, ChainVerifier, splitChainLink } from '@m2m-trust/audit-domain';

import { type EpcisSchemaValidator } from './epcis-schema.validator';
import { type BodySummary, type BodyWalker } from './export-body';
import { LineSplitter } from './line.splitter';
import { documentFault, recordFault, type VerifyFault } from './verify-fault';

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
    private readonly schema: EpcisSchemaValidator | undefined,
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
