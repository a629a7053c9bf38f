import { type EpcisEventFilters, epcisQueryParams } from './epcis-query';
import { type CallOptions, type HttpTransport } from './http.transport';
import { nextLinkTarget } from './link-header';
import { M2MInvalidResponseError } from './m2m.error';
import {
  type AuditCheckpoint,
  type AuditExport,
  type EpcisEvent,
  type EpcisQueryDocument,
  EXPORT_FORMATS,
  type ExportFilters,
  type ExportFormat,
  type JsonWebKeySet,
} from './m2m.types';
import { asCheckpoint, asEpcisDocument, asJsonWebKeySet } from './response.guard';

export interface EpcisEventPage {
  readonly events: readonly EpcisEvent[];
  /** The whole `EPCISQueryDocument`, for callers that keep or re-validate it. */
  readonly document: EpcisQueryDocument;
  /** The `rel="next"` target, resolved; null on the last page. Pass to `queryEvents` as `page` to continue. */
  readonly nextPage: URL | null;
}

const EPCIS_ACCEPT = 'application/ld+json, application/json;q=0.9';

/** What each export format is served as, and a file name for when the service gives none. */
const EXPORT_TYPES: Readonly<Record<ExportFormat, { accept: string; contentType: RegExp; extension: string }>> = {
  jsonld: { accept: 'application/ld+json', contentType: /^application\/(?:ld\+)?json\b/i, extension: 'jsonld' },
  xml: { accept: 'application/xml', contentType: /^application\/xml\b/i, extension: 'xml' },
  csv: { accept: 'text/csv', contentType: /^text\/csv\b/i, extension: 'csv' },
};

/** The `snapshot` of the manifest a CSV export links to (`Link: <export/manifest?…&snapshot=N>; rel="describedby"`). */
function manifestSnapshot(link: string | null): number | null {
  const target = link === null ? null : /<([^>]*)>\s*;[^,]*rel="?describedby"?/.exec(link)?.[1];
  const snapshot = target === undefined || target === null ? null : new URL(target, 'http://service/epcis/export').searchParams.get('snapshot');
  return snapshot !== null && /^\d+$/.test(snapshot) ? Number(snapshot) : null;
}

export interface ExportOptions extends CallOptions {
  /** `jsonld` (default): an EPCISDocument, one event per line, each with its chain link; `csv`: one row per event. */
  readonly format?: ExportFormat;
}

/** The EPCIS 2.0 audit log: `client.audit`. Needs the API key. */
export class AuditApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * One page of audit events. Without `page`, the first page for the filters;
   * with it (a previous page's `nextPage`), the page it names. The page token
   * is bound to the filters, so a continuation carries them itself.
   */
  async queryEvents(filters: EpcisEventFilters = {}, options?: CallOptions & { readonly page?: URL }): Promise<EpcisEventPage> {
    const response = await this.http.request(
      {
        method: 'GET',
        target: options?.page ?? 'epcis/events',
        ...(options?.page ? {} : { query: epcisQueryParams(filters) }),
        authenticated: true,
        retry: 'idempotent',
        accept: EPCIS_ACCEPT,
      },
      options,
    );
    const { document, events } = asEpcisDocument(response);
    const next = nextLinkTarget(response.headers.get('link'));
    // RFC 8288: a relative target resolves against the URL that answered; `resolve` refuses another origin.
    return { events, document, nextPage: next === null ? null : this.http.resolve(new URL(next, response.url)) };
  }

  /** Every audit event matching the filters, in record order, following `Link: <…>; rel="next"` page after page. */
  async *iterateEvents(filters: EpcisEventFilters = {}, options?: CallOptions): AsyncGenerator<EpcisEvent, void, undefined> {
    for await (const page of this.iteratePages(filters, options)) yield* page.events;
  }

  /** The same, a page at a time. */
  async *iteratePages(filters: EpcisEventFilters = {}, options?: CallOptions): AsyncGenerator<EpcisEventPage, void, undefined> {
    let page = await this.queryEvents(filters, options);
    const seen = new Set<string>();
    for (;;) {
      yield page;
      if (page.nextPage === null) return;
      if (seen.has(page.nextPage.href)) {
        throw new M2MInvalidResponseError(`The service linked to ${page.nextPage.pathname} twice; stopping rather than looping`);
      }
      seen.add(page.nextPage.href);
      page = await this.queryEvents(filters, { ...options, page: page.nextPage });
    }
  }

  /**
   * A compliance export: every event matching the filters, in record order,
   * ending in a manifest signed by the service (docs/epcis.md). The body is a
   * stream, read as it arrives and never held whole, so an export of the
   * entire log fits in flat memory: write it to a file or pipe it on. Read it
   * to the end or cancel it, which releases the connection.
   *
   * Failures before the body starts are the usual typed errors (and retried
   * like other reads); once it flows, nothing is retried and a failure
   * errors the stream instead: M2MTimeoutError when the service stalls for
   * `timeoutMs`, M2MNetworkError when the connection breaks, M2MAbortError
   * when `signal` fires.
   */
  async exportEvents(filters: ExportFilters = {}, options: ExportOptions = {}): Promise<AuditExport> {
    const format = options.format ?? 'jsonld';
    if (!EXPORT_FORMATS.includes(format)) throw new TypeError(`format must be one of ${EXPORT_FORMATS.join(', ')}`);
    const type = EXPORT_TYPES[format];
    // Paging does not apply (an export is the whole match): a perPage slipped past the type is dropped, not refused.
    const query = epcisQueryParams({ ...filters, perPage: undefined });
    query.set('format', format);
    const response = await this.http.stream(
      { method: 'GET', target: 'epcis/export', query, authenticated: true, retry: 'idempotent', accept: type.accept },
      options,
    );
    const contentType = response.headers.get('content-type') ?? '';
    if (!type.contentType.test(contentType)) {
      await response.body.cancel().catch(() => undefined);
      throw new M2MInvalidResponseError(`Unexpected answer from ${response.url.pathname} (${response.status}): ${contentType || 'no content type'}, not a ${format} export`, {
        status: response.status,
        requestId: response.headers.get('x-request-id') ?? undefined,
      });
    }
    return {
      format,
      contentType,
      filename: safeFilename(response.headers.get('content-disposition'), `epcis-export.${type.extension}`),
      body: response.body,
      snapshotSeq: manifestSnapshot(response.headers.get('link')),
    };
  }

  /**
   * The signed manifest (compact JWS) of the CSV export with these filters up
   * to `snapshot` (AuditExport.snapshotSeq): a CSV is a plain table, and its
   * manifest is served beside it. Its `bodySha256` is the CSV file's SHA-256.
   */
  async exportManifest(filters: ExportFilters, options: CallOptions & { readonly snapshot: number }): Promise<string> {
    const query = epcisQueryParams({ ...filters, perPage: undefined });
    query.set('format', 'csv');
    query.set('snapshot', String(options.snapshot));
    const { body, status } = await this.http.request(
      { method: 'GET', target: 'epcis/export/manifest', query, authenticated: true, retry: 'idempotent', accept: 'application/jose' },
      options,
    );
    const jws = typeof body === 'string' ? body.trim() : '';
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jws)) throw new M2MInvalidResponseError('The export manifest is not a compact JWS', { status });
    return jws;
  }

  /** The JWKS of the keys that sign checkpoints and export manifests. Public: needs no API key. */
  async checkpointKeys(options?: CallOptions): Promise<JsonWebKeySet> {
    return asJsonWebKeySet(await this.http.request({ method: 'GET', target: 'epcis/checkpoints/keys', authenticated: false, retry: 'idempotent' }, options));
  }

  /**
   * The newest signed checkpoint of the audit chain (its sequence number and
   * head hash) with the key set that verifies it. Public. 404
   * `ROUTE_NOT_FOUND` while the log is empty.
   */
  async latestCheckpoint(options?: CallOptions): Promise<AuditCheckpoint> {
    return asCheckpoint(await this.http.request({ method: 'GET', target: 'epcis/checkpoints/latest', authenticated: false, retry: 'idempotent' }, options));
  }
}

/**
 * The file name a `Content-Disposition` suggests, reduced to a plain base
 * name: callers write files under it, and a name the service (or anything
 * between) chose must not point elsewhere (`../`, `/etc/…`) or carry
 * control characters.
 */
function safeFilename(disposition: string | null, fallback: string): string {
  const quoted = /filename="([^"]*)"/i.exec(disposition ?? '') ?? /filename=([^;\s]+)/i.exec(disposition ?? '');
  const base = (quoted?.[1] ?? '').split(/[\\/]/).pop() ?? '';
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(base) ? base : fallback;
}
