import { AUDIT_CHAIN_STORE, type AuditChainStore, type ChainRecord } from '@m2m-trust/audit-data-access';
import { type EpcisObjectEvent, matchesEventFilter, parseEventQuery, queryParameterError } from '@m2m-trust/audit-domain';
import { EXPORT_FORMATS, EXPORT_MANIFEST_JWS_TYPE, type ExportFormat, type ExportManifest, type ExportWriter, exportWriter } from '@m2m-trust/audit-export';
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
  /** Bytes added so far: where the next text will start in the file. */
  total = 0;

  /** Takes the next text; returns a write once enough is pending. */
  add(text: string): Buffer | null {
    const bytes = Buffer.from(text, 'utf8');
    this.hash.update(bytes);
    this.pending.push(bytes);
    this.size += bytes.length;
    this.total += bytes.length;
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
  /** The chain head the export covers: give it as `snapshot` to export (or have signed) the same records again. */
  readonly snapshotSeq: number;
  /** The query of the same export without its format (filters and snapshot), for the manifest's link. */
  readonly query: Readonly<Record<string, string>>;
  readonly body: AsyncIterable<Buffer>;
}

interface ExportPlan {
  readonly format: ExportFormat;
  readonly filters: Readonly<Record<string, string>>;
  readonly filter: ReturnType<typeof parseEventQuery> | null;
  readonly snapshotSeq: number;
}

/**
 * Compliance exports: every matching record up to the chain head at the
 * start (or the `snapshot` asked for), streamed a batch at a time (memory
 * stays flat however large the log), under a manifest signed with the audit
 * key that pins the body's hash, its count, sequence range and chain head, so
 * the file can be checked offline. JSON-LD and XML carry the manifest at
 * their end; a CSV stays a plain table and its manifest is served by
 * {@link manifest}, which hashes the same body again (a CSV has no creation
 * date: the same snapshot and filters give the same bytes).
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
    const plan = await this.plan(params);
    const writer = exportWriter(plan.format);
    const query = { ...plan.filters, snapshot: String(plan.snapshotSeq) };
    return {
      format: plan.format,
      contentType: writer.contentType,
      filename: `epcis-export-${plan.snapshotSeq}.${writer.extension}`,
      snapshotSeq: plan.snapshotSeq,
      query,
      body: this.stream(plan),
    };
  }

  /** The signed manifest of a CSV export (the same format, filters and snapshot), as a compact JWS. */
  async manifest(params: Readonly<Record<string, string>>): Promise<string> {
    const plan = await this.plan({ format: 'csv', ...params });
    if (plan.format !== 'csv') throw queryParameterError('format', 'JSON-LD and XML exports carry their manifest at their end; only csv has it served apart');
    const body = new BodyWrites();
    const summary = new ExportSummary();
    // The same bytes as the download, hashed and let go.
    for await (const write of this.body(plan, exportWriter(plan.format), this.clock.now(), body, summary)) void write;
    return this.sign(plan, summary, body);
  }

  private async plan(params: Readonly<Record<string, string>>): Promise<ExportPlan> {
    const { format: formatParam = 'jsonld', snapshot, ...filters } = params;
    if (!(EXPORT_FORMATS as readonly string[]).includes(formatParam)) {
      throw queryParameterError('format', `must be one of ${EXPORT_FORMATS.join(', ')}`);
    }
    const unsupported = Object.keys(filters).find((name) => NOT_FOR_EXPORTS.includes(name));
    if (unsupported) throw queryParameterError(unsupported, 'an export holds every matching event, in record order');
    const filter = parseEventQuery(filters);
    const head = (await this.chain.head())?.seq ?? 0;
    let snapshotSeq = head;
    if (snapshot !== undefined) {
      if (!/^(0|[1-9]\d{0,15})$/.test(snapshot)) throw queryParameterError('snapshot', 'must be a record sequence number (0 or more)');
      snapshotSeq = Number(snapshot);
      if (snapshotSeq > head) throw queryParameterError('snapshot', `the log holds ${head} records`);
    }
    return { format: formatParam as ExportFormat, filters, filter: Object.keys(filters).length === 0 ? null : filter, snapshotSeq };
  }

  private async *stream(plan: ExportPlan): AsyncGenerator<Buffer> {
    const writer = exportWriter(plan.format);
    const body = new BodyWrites();
    const summary = new ExportSummary();
    yield* this.body(plan, writer, this.clock.now(), body, summary);
    if (writer.embedsManifest) yield Buffer.from(writer.manifest(await this.sign(plan, summary, body)), 'utf8');
  }

  /** The body (everything the manifest's hash covers), in writes of about WRITE_BYTES; what it held ends up in `summary`. */
  private async *body(plan: ExportPlan, writer: ExportWriter, now: Date, body: BodyWrites, summary: ExportSummary): AsyncGenerator<Buffer> {
    summary.iat = Math.floor(now.getTime() / 1000);
    body.add(writer.start(now.toISOString()));
    // The start on its own: the client has the response under way however sparse the matches are.
    yield body.take();
    yield* this.pass(plan, body, (record) => {
      summary.add(record);
      return writer.record(record.event, record);
    });
    if (writer.chained) {
      // The links after the events, from a second pass over the same records: nothing is held from the first.
      body.add(writer.openChain());
      summary.chainStart = body.total;
      yield* this.pass(plan, body, (record) => writer.link(record));
    }
    body.add(writer.end());
    const tail = body.take();
    if (tail.length > 0) yield tail;
  }

  /** Every record up to the snapshot that matches the filter, in record order, as text from `text`, handed on in writes. */
  private async *pass(plan: ExportPlan, body: BodyWrites, text: (record: ChainRecord) => string): AsyncGenerator<Buffer> {
    for (let after = 0; after < plan.snapshotSeq; ) {
      const records = await this.chain.records(after, BATCH);
      if (records.length === 0) break;
      let chunk = '';
      for (const record of records) {
        if (record.seq > plan.snapshotSeq) break;
        after = record.seq;
        if (plan.filter && !matchesEventFilter(record.event as unknown as EpcisObjectEvent, plan.filter)) continue;
        chunk += text(record);
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
  }

  private async sign(plan: ExportPlan, summary: ExportSummary, body: BodyWrites): Promise<string> {
    const manifest: ExportManifest = {
      iss: this.audience.get(),
      iat: summary.iat,
      format: plan.format,
      count: summary.count,
      firstSeq: summary.firstSeq,
      lastSeq: summary.last?.seq ?? null,
      chainHead: summary.last?.hash ?? null,
      snapshotSeq: plan.snapshotSeq,
      complete: plan.filter === null,
      filters: plan.filters,
      bodySha256: body.digest(),
      chainStart: summary.chainStart,
    };
    return new CompactSign(new TextEncoder().encode(JSON.stringify(manifest)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ: EXPORT_MANIFEST_JWS_TYPE })
      .sign(this.key.privateKey);
  }
}

/** What an export's body held, for its manifest. */
class ExportSummary {
  iat = 0;
  count = 0;
  firstSeq: number | null = null;
  last: ChainRecord | null = null;
  /** Where the chain section's first link starts; null without one (CSV). */
  chainStart: number | null = null;

  add(record: ChainRecord): void {
    this.count++;
    this.firstSeq ??= record.seq;
    this.last = record;
  }
}
