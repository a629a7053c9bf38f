import { AUDIT_CHAIN_STORE, type AuditChainStore } from '@m2m-trust/audit-data-access';
import { type EpcisObjectEvent, matchesEventFilter, parseEventQuery, queryParameterError } from '@m2m-trust/audit-domain';
import { EXPORT_FORMATS, EXPORT_MANIFEST_JWS_TYPE, type ExportFormat, type ExportManifest, exportWriter } from '@m2m-trust/audit-export';
import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { ServiceAudience } from '@m2m-trust/shared-platform';

import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CompactSign } from 'jose';

import { AUDIT_SIGNING_KEY, type AuditSigningKey } from './audit-signing-key';

/** Paging and ordering make no sense for an export: it is the whole match, in record order. */
const NOT_FOR_EXPORTS = ['perPage', 'nextPageToken', 'orderBy', 'orderDirection', 'eventCountLimit', 'maxEventCount'];
const BATCH = 1000;
/**
 * Text encoded at a time, in UTF-16 code units. A batch's text in one piece
 * (about 1 MB) is a large object, which V8 allocates in the old generation,
 * freed only by a full collection; pieces this size are born and die in the
 * young generation (measured: 55 MB less peak RSS for XML and CSV at a
 * million records).
 */
const CHUNK = 16_384;
/**
 * Bytes handed to the response at a time (outside the JavaScript heap).
 * Small writes cost clients dearly: Node 20's fetch re-copies all it has
 * buffered each time it resumes parsing, and with 16 KiB writes the bench's
 * client took 20 s and 300 MB for an export of 100k events that it reads in
 * under a second in writes this size.
 */
const WRITE_BYTES = 256 * 1024;

/** The body on its way out: encoded once, for the hash and the socket alike, and handed on in writes of about WRITE_BYTES. */
class BodyWrites {
  private readonly hash = createHash('sha256');
  private pending: Buffer[] = [];
  private size = 0;

  /** Takes the next text; returns a write once enough is pending. */
  add(text: string): Buffer | null {
    const bytes = Buffer.from(text, 'utf8');
    this.hash.update(bytes);
    this.pending.push(bytes);
    this.size += bytes.length;
    return this.size >= WRITE_BYTES ? this.take() : null;
  }

  /** Everything pending, as one write. */
  take(): Buffer {
    const write = Buffer.concat(this.pending, this.size);
    this.pending = [];
    this.size = 0;
    return write;
  }

  /** The SHA-256 of every byte taken so far (call once, after the last take). */
  digest(): string {
    return this.hash.digest('hex');
  }
}

export interface PreparedExport {
  readonly format: ExportFormat;
  readonly contentType: string;
  readonly filename: string;
  readonly body: AsyncIterable<Buffer>;
}

/**
 * Compliance exports: every matching record up to the chain head at the
 * start, streamed a batch at a time (memory stays flat however large the
 * log), ending in a manifest signed with the audit key that pins the body's
 * hash, its count, sequence range and chain head, so the file can be checked
 * offline.
 */
@Injectable()
export class AuditExportService {
  constructor(
    @Inject(AUDIT_CHAIN_STORE) private readonly chain: AuditChainStore,
    @Inject(AUDIT_SIGNING_KEY) private readonly key: AuditSigningKey,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audience: ServiceAudience,
  ) {}

  /** Validates the request before any byte is sent, so a bad one is a clean 400. */
  async prepare(params: Readonly<Record<string, string>>): Promise<PreparedExport> {
    const { format: formatParam = 'jsonld', ...filters } = params;
    if (!(EXPORT_FORMATS as readonly string[]).includes(formatParam)) {
      throw queryParameterError('format', `must be one of ${EXPORT_FORMATS.join(', ')}`);
    }
    const unsupported = Object.keys(filters).find((name) => NOT_FOR_EXPORTS.includes(name));
    if (unsupported) throw queryParameterError(unsupported, 'an export holds every matching event, in record order');
    const filter = parseEventQuery(filters);
    const format = formatParam as ExportFormat;
    const snapshotSeq = (await this.chain.head())?.seq ?? 0;
    const writer = exportWriter(format);
    return {
      format,
      contentType: writer.contentType,
      filename: `epcis-export-${snapshotSeq}.${writer.extension}`,
      body: this.stream(format, filters, Object.keys(filters).length === 0 ? null : filter, snapshotSeq),
    };
  }

  private async *stream(
    format: ExportFormat,
    filters: Readonly<Record<string, string>>,
    filter: ReturnType<typeof parseEventQuery> | null,
    snapshotSeq: number,
  ): AsyncGenerator<Buffer> {
    const writer = exportWriter(format);
    const body = new BodyWrites();
    const now = this.clock.now();
    body.add(writer.start(now.toISOString()));
    // The start on its own: the client has the response under way however sparse the matches are.
    yield body.take();
    let count = 0;
    let firstSeq: number | null = null;
    let last: { seq: number; hash: string } | null = null;
    for (let after = 0; after < snapshotSeq; ) {
      const records = await this.chain.records(after, BATCH);
      if (records.length === 0) break;
      let chunk = '';
      for (const record of records) {
        if (record.seq > snapshotSeq) break;
        after = record.seq;
        if (filter && !matchesEventFilter(record.event as unknown as EpcisObjectEvent, filter)) continue;
        chunk += writer.record(record.event, record);
        count++;
        firstSeq ??= record.seq;
        last = record;
        if (chunk.length >= CHUNK) {
          const write = body.add(chunk);
          chunk = '';
          if (write) yield write;
        }
      }
      const write = chunk ? body.add(chunk) : null;
      if (write) yield write;
      if (records.length < BATCH) break;
    }
    body.add(writer.end());
    const tail = body.take();
    if (tail.length > 0) yield tail;
    const manifest: ExportManifest = {
      iss: this.audience.get(),
      iat: Math.floor(now.getTime() / 1000),
      format,
      count,
      firstSeq,
      lastSeq: last?.seq ?? null,
      chainHead: last?.hash ?? null,
      snapshotSeq,
      complete: filter === null,
      filters,
      bodySha256: body.digest(),
    };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(manifest)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ: EXPORT_MANIFEST_JWS_TYPE })
      .sign(this.key.privateKey);
    yield Buffer.from(writer.manifest(jws), 'utf8');
  }
}
