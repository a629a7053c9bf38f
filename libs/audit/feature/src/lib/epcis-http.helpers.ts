import { EPCIS_CONTEXT, type EpcisObjectEvent, queryParameterError } from '@m2m-trust/audit-domain';

import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { EPCIS_MEDIA, type EpcisMedia, EVENT_DOCUMENT_MEDIA, negotiateMedia } from './epcis-media';
import { queryDocumentXml } from './epcis-xml.document';


const QUERY_PARAMETERS = [
  ['eventType', 'Event types, `|`-separated (ObjectEvent, ...)'],
  ['EQ_action', 'ADD | OBSERVE | DELETE, `|`-separated'],
  ['EQ_bizStep', 'CBV business steps (bare word or URI), `|`-separated'],
  ['EQ_disposition', 'CBV dispositions (bare word or URI), `|`-separated'],
  ['MATCH_epc', 'Device URIs (urn:m2m-trust:device:<deviceId>), `|`-separated'],
  ['MATCH_anyEPC', 'Matches the same events as MATCH_epc here (events carry only an epcList); given with MATCH_epc, both must hold'],
  ['EQ_eventID', 'Event hash IDs, `|`-separated'],
  ['GE_eventTime', 'Events at or after this RFC 3339 time'],
  ['LT_eventTime', 'Events before this RFC 3339 time'],
  ['GE_recordTime', 'Recorded at or after this RFC 3339 time'],
  ['LT_recordTime', 'Recorded before this RFC 3339 time'],
  ['EQ_m2m:reason', 'Failure reason (extension field), `|`-separated; also m2m:challengeId, keyThumbprint, actor, requestId, method'],
  ['orderBy', 'eventTime, recordTime or an m2m: extension field (code-point order); absent: record order'],
  ['orderDirection', 'ASC or DESC (default DESC with orderBy, ASC in record order)'],
  ['eventCountLimit', 'At most this many events in all, across pages (requires orderBy)'],
  ['maxEventCount', 'More matching events than this is a 413 QueryTooLargeException'],
  ['perPage', 'Events per page, 1 to 1000 (default 100)'],
  ['nextPageToken', "Token from the previous page's Link header"],
] as const;

/**
 * Documents the commonly used query parameters in the OpenAPI description (but those a route's path already fixes);
 * every other EPCIS 2.0 parameter is accepted too, listed with its meaning here in docs/epcis.md.
 */
export const ApiEpcisQuery =
  (...fixedByPath: string[]): MethodDecorator =>
  (target, key, descriptor) => {
    for (const [name, description] of QUERY_PARAMETERS) {
      if (!fixedByPath.includes(name)) ApiQuery({ name, description, required: false, type: String })(target, key, descriptor);
    }
  };

/** Documents perPage and nextPageToken only. */
export const ApiPaging = (): MethodDecorator => (target, key, descriptor) => {
  ApiQuery({ name: 'perPage', description: 'Items per page, 1 to 1000 (default 100)', required: false, type: String })(target, key, descriptor);
  ApiQuery({ name: 'nextPageToken', description: "Token from the previous page's Link header", required: false, type: String })(target, key, descriptor);
};

/** Each EPCIS parameter appears once; alternatives go in one value separated by `|`. */
export function singleValued(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params ?? {})) {
    if (typeof value !== 'string') throw queryParameterError(name, 'give the parameter once; separate alternatives with |');
    out[name] = value;
  }
  return out;
}

/** For resources that take no query parameters: a stray one is refused, not ignored. */
export function noParameters(params: Record<string, unknown>): void {
  const [name] = Object.keys(params ?? {});
  if (name !== undefined) throw queryParameterError(name, 'this resource takes no query parameters');
}

/** An EPCISQueryDocument (JSON-LD) around a result's events. */
export function queryDocument(events: readonly EpcisObjectEvent[], queryName: string, subscriptionID?: string): Record<string, unknown> {
  return {
    '@context': EPCIS_CONTEXT,
    type: 'EPCISQueryDocument',
    schemaVersion: '2.0',
    creationDate: new Date().toISOString(),
    epcisBody: {
      queryResults: { queryName, ...(subscriptionID !== undefined ? { subscriptionID } : {}), resultsBody: { eventList: events } },
    },
  };
}

/** `Link: <same path?same parameters&nextPageToken=…>; rel="next"`, as the binding pages. */
export function linkNext(request: FastifyRequest, reply: FastifyReply, params: Readonly<Record<string, string>>, token: string | null): void {
  if (token === null) return;
  const next = new URLSearchParams({ ...params, nextPageToken: token });
  const path = request.url.split('?')[0] as string;
  void reply.header('link', `<${path}?${next.toString()}>; rel="next"`);
}

/** The media type a request's Accept header chooses among those offered, or a 406 before any work is done. */
export const mediaFor = (request: FastifyRequest, offered: readonly EpcisMedia[]): EpcisMedia => negotiateMedia(request.headers.accept, offered);

/** An EPCISQueryDocument around a result's events, in the negotiated media type (XML: valid against GS1's query XSD). */
export function eventsAnswer(reply: FastifyReply, media: EpcisMedia, events: readonly EpcisObjectEvent[], queryName: string): Record<string, unknown> | string {
  void reply.type(`${media}; charset=utf-8`);
  return media === EPCIS_MEDIA.xml ? queryDocumentXml(events, queryName) : queryDocument(events, queryName);
}

/** A JSON body (collection, query definition) as the negotiated JSON flavour. */
export function jsonAnswer<T>(reply: FastifyReply, media: EpcisMedia, body: T): T {
  void reply.type(`${media}; charset=utf-8`);
  return body;
}

/** The binding's Collection of names or URIs (eventTypes, epcs, bizSteps, ...). */
export const collection = (member: readonly string[]): Record<string, unknown> => ({ '@context': EPCIS_CONTEXT, type: 'Collection', member });

/** The one problem+json schema of the document (completeOpenApiDocument defines it, with every code). */
const PROBLEM_SCHEMA = { $ref: '#/components/schemas/Problem' };

const PROBLEM_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'epcisException:QueryParameterException (or another EPCIS query exception)',
  401: 'A valid API key is required',
  403: 'The API key lacks the audit:read scope',
  404: 'epcisException:NoSuchNameException: no such item in this repository',
  406: 'epcisException:NotAcceptableException: none of the offered media types is acceptable, or the GS1 version bounds exclude 2.0.0',
  413: 'epcisException:QueryTooLargeException',
  501: 'epcisException:ImplementationException: not offered by this repository',
};

/** Documents the problem+json answers a /epcis route gives, with the media types it produces. */
export const ApiEpcisAnswers = (produces: readonly EpcisMedia[], ...statuses: number[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ...(produces.length > 0 ? [ApiProduces(...produces)] : []),
    ...statuses.map((status) =>
      ApiResponse({ status, description: PROBLEM_DESCRIPTIONS[status] ?? 'problem+json', content: { 'application/problem+json': { schema: PROBLEM_SCHEMA } } }),
    ),
  );

/** Documents a route answering an EPCISQueryDocument: its 200 in the three media types, and its problem statuses. */
export const ApiEventsDocument = (...statuses: number[]): MethodDecorator & ClassDecorator =>
  applyDecorators(ApiOkResponse({ description: 'An EPCISQueryDocument (JSON-LD, JSON or XML as negotiated)' }), ApiEpcisAnswers(EVENT_DOCUMENT_MEDIA, ...statuses));
