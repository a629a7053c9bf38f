import { type BodySummary, type BodyWalker } from './export-body';
import { LineSplitter } from './line.splitter';
import { documentFault, recordFault, type VerifyFault } from './verify-fault';

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
  private count = 0;
  private firstSeq: number | null = null;
  private lastSeq: number | null = null;
  private lastHash: string | null = null;
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
    return { count: this.count, firstSeq: this.firstSeq, lastSeq: this.lastSeq, lastHash: this.lastHash };
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
    if (this.lastSeq !== null && seq <= this.lastSeq) {
      this.fault = recordFault('sequence_gap', seq, this.line, `sequence ${seq} does not follow ${this.lastSeq}`);
      return;
    }
    this.count++;
    this.firstSeq ??= seq;
    this.lastSeq = seq;
    this.lastHash = match[2] as string;
  }
}
