import { EPCIS_CONTEXT, type EpcisObjectEvent, queryParameterError } from '@m2m-trust/audit-domain';

import { ApiQuery } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const JSON_LD = 'application/ld+json; charset=utf-8';

const QUERY_PARAMETERS = [
  ['eventType', 'Event types, `|`-separated (ObjectEvent, ...)'],
  ['EQ_action', 'ADD | OBSERVE | DELETE, `|`-separated'],
  ['EQ_bizStep', 'CBV business steps (bare word or URI), `|`-separated'],
  ['EQ_disposition', 'CBV dispositions (bare word or URI), `|`-separated'],
  ['MATCH_epc', 'Device URIs (urn:m2m-trust:device:<deviceId>), `|`-separated'],
  ['MATCH_anyEPC', 'Same as MATCH_epc for this repository'],
  ['EQ_eventID', 'Event hash IDs, `|`-separated'],
  ['GE_eventTime', 'Events at or after this RFC 3339 time'],
  ['LT_eventTime', 'Events before this RFC 3339 time'],
  ['GE_recordTime', 'Recorded at or after this RFC 3339 time'],
  ['LT_recordTime', 'Recorded before this RFC 3339 time'],
  ['EQ_m2m:reason', 'Failure reason (extension field), `|`-separated; also m2m:challengeId, keyThumbprint, actor, requestId, method'],
  ['orderBy', 'eventTime or recordTime; absent: record order'],
  ['orderDirection', 'ASC or DESC (default DESC with orderBy, ASC in record order)'],
  ['eventCountLimit', 'At most this many events in all, across pages (requires orderBy)'],
  ['maxEventCount', 'More matching events than this is a 413 QueryTooLargeException'],
  ['perPage', 'Events per page, 1 to 1000 (default 100)'],
  ['nextPageToken', "Token from the previous page's Link header"],
] as const;

/** Documents the query parameters in the OpenAPI description (but those a route's path already fixes). */
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
