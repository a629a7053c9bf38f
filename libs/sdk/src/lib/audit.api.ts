import { type EpcisEventFilters, epcisQueryParams } from './epcis-query';
import { type CallOptions, type HttpTransport } from './http.transport';
import { nextLinkTarget } from './link-header';
import { M2MInvalidResponseError } from './m2m.error';
import { type EpcisEvent, type EpcisQueryDocument } from './m2m.types';
import { asEpcisDocument } from './response.guard';

export interface EpcisEventPage {
  readonly events: readonly EpcisEvent[];
  /** The whole `EPCISQueryDocument`, for callers that keep or re-validate it. */
  readonly document: EpcisQueryDocument;
  /** The `rel="next"` target, resolved; null on the last page. Pass to `queryEvents` as `page` to continue. */
  readonly nextPage: URL | null;
}

const EPCIS_ACCEPT = 'application/ld+json, application/json;q=0.9';

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
}
