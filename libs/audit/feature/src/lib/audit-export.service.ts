import { createHash } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { CompactSign } from 'jose';

import { AUDIT_CHAIN_STORE, type AuditChainStore } from '@m2m-trust/audit-data-access';
import {
  type EpcisObjectEvent,
  EXPORT_FORMATS,
  EXPORT_MANIFEST_JWS_TYPE,
  type ExportFormat,
  type ExportManifest,
  exportWriter,
  matchesEventFilter,
  parseEventQuery,
  queryParameterError,
} from '@m2m-trust/audit-domain';
import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { ServiceAudience } from '@m2m-trust/shared-platform';

import { AUDIT_SIGNING_KEY, type AuditSigningKey } from './audit-signing-key';

/** Paging and ordering make no sense for an export: it is the whole match, in record order. */
const NOT_FOR_EXPORTS = ['perPage', 'nextPageToken', 'orderBy', 'orderDirection', 'eventCountLimit', 'maxEventCount'];
const BATCH = 1000;

export interface PreparedExport {
  readonly format: ExportFormat;
  readonly contentType: string;
  readonly filename: string;
  readonly body: AsyncIterable<string>;
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
  ): AsyncGenerator<string> {
    const writer = exportWriter(format);
    const body = createHash('sha256');
    const emit = (text: string): string => {
      body.update(text, 'utf8');
      return text;
    };
    const now = this.clock.now();
    yield emit(writer.start(now.toISOString()));
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
      }
      if (chunk) yield emit(chunk);
      if (records.length < BATCH) break;
    }
    yield emit(writer.end());
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
      bodySha256: body.digest('hex'),
    };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(manifest)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ: EXPORT_MANIFEST_JWS_TYPE })
      .sign(this.key.privateKey);
    yield writer.manifest(jws);
  }
}
