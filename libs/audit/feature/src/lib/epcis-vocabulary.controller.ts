import { AUDIT_LOG_REPOSITORY, type AuditLogRepository, type VocabularyField } from '@m2m-trust/audit-data-access';
import {
  bizStepTerm,
  CBV_DISPOSITION_URI,
  decodeNamePageToken,
  encodeNamePageToken,
  EPCIS_EVENT_TYPES,
  epcValue,
  type EventFilter,
  parseEventQuery,
  parsePerPage,
  queryFingerprint,
  queryParameterError,
  vocabularyTerm,
} from '@m2m-trust/audit-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { RequireScope } from '@m2m-trust/shared-platform';

import { Controller, Get, Inject, Options, Param, Query, Req, Res, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { EpcisEventsService } from './epcis-events.service';
import { ApiEpcisAnswers, ApiEpcisQuery, ApiEventsDocument, ApiPaging, collection, eventsAnswer, jsonAnswer, linkNext, mediaFor, noParameters, singleValued } from './epcis-http.helpers';
import { COLLECTION_MEDIA, EVENT_DOCUMENT_MEDIA } from './epcis-media';
import { answerOptions, ApiDiscovery } from './epcis-options';

/**
 * One of the binding's top-level resources whose collection lists values
 * found in events (event types, EPCs, business steps, ...), whose items are
 * those values and whose `/events` are the events carrying one.
 */
interface Vocabulary {
  /** The path segment under /epcis, and the Link token's list name. */
  readonly resource: string;
  /** The path parameter naming one value. */
  readonly param: string;
  readonly what: string;
  readonly example: string;
  /** The query parameters the path fixes (refused beside it). */
  readonly fixes: readonly string[];
  /** The path value, checked and in the stored form (a CBV URI becomes its bare word); 400 otherwise. */
  readonly term: (value: string) => string;
  /** Where the values are found, or null when no event of this repository carries the field. */
  readonly source: VocabularyField | 'eventType' | null;
  /** The filter of the value's events, and what it adds to the page token's fingerprint. */
  readonly filter: (term: string) => { readonly filter: EventFilter; readonly fingerprint: Record<string, string> };
}

const URI_TYPE = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

const VOCABULARIES: readonly Vocabulary[] = [
  {
    resource: 'eventTypes',
    param: 'eventType',
    what: 'event type',
    example: 'ObjectEvent',
    fixes: ['eventType'],
    term: (value) => {
      if ((EPCIS_EVENT_TYPES as readonly string[]).includes(value) || URI_TYPE.test(value)) return value;
      throw queryParameterError('eventType', `${value} is neither an EPCIS event type nor a URI`);
    },
    source: 'eventType',
    filter: (term) => ({ filter: { eventTypes: [term] }, fingerprint: { eventType: term } }),
  },
  {
    resource: 'epcs',
    param: 'epc',
    what: 'EPC (a device or API key URI)',
    example: 'urn:m2m-trust:device:scanner-floor-3',
    fixes: ['MATCH_epc', 'MATCH_anyEPC'],
    term: (value) => epcValue('epc', value),
    source: 'epc',
    filter: (term) => ({ filter: { epcs: [term] }, fingerprint: { MATCH_epc: term } }),
  },
  {
    resource: 'bizSteps',
    param: 'bizStep',
    what: 'business step (CBV bare word or URI)',
    example: 'inspecting',
    fixes: ['EQ_bizStep'],
    term: (value) => bizStepTerm('bizStep', value),
    source: 'bizStep',
    filter: (term) => ({ filter: { bizSteps: [term] }, fingerprint: { EQ_bizStep: term } }),
  },
  {
    resource: 'dispositions',
    param: 'disposition',
    what: 'disposition (CBV bare word or URI)',
    example: 'non_conformant',
    fixes: ['EQ_disposition'],
    term: (value) => vocabularyTerm('disposition', value, CBV_DISPOSITION_URI),
    source: 'disposition',
    filter: (term) => ({ filter: { dispositions: [term] }, fingerprint: { EQ_disposition: term } }),
  },
  {
    resource: 'bizLocations',
    param: 'bizLocation',
    what: 'business location (a URI; no event of this repository has one)',
    example: 'urn:epc:id:sgln:0012345.11111.0',
    fixes: ['EQ_bizLocation', 'WD_bizLocation'],
    term: (value) => epcValue('bizLocation', value),
    source: null,
    filter: (term) => ({ filter: {}, fingerprint: { EQ_bizLocation: term } }),
  },
  {
    resource: 'readPoints',
    param: 'readPoint',
    what: 'read point (a URI; no event of this repository has one)',
    example: 'urn:epc:id:sgln:0012345.11111.400',
    fixes: ['EQ_readPoint', 'WD_readPoint'],
    term: (value) => epcValue('readPoint', value),
    source: null,
    filter: (term) => ({ filter: {}, fingerprint: { EQ_readPoint: term } }),
  },
];

/** Up to `limit` values of the vocabulary the log holds, after `after`. */
async function valuesOf(log: AuditLogRepository, vocabulary: Vocabulary, after: string | null, limit: number): Promise<readonly string[]> {
  if (vocabulary.source === null) return [];
  if (vocabulary.source === 'eventType') return (await log.eventTypes()).filter((type) => after === null || type > after).slice(0, limit);
  return log.distinctValues(vocabulary.source, after, limit);
}

async function holds(log: AuditLogRepository, vocabulary: Vocabulary, term: string): Promise<boolean> {
  if (vocabulary.source === null) return false;
  if (vocabulary.source === 'eventType') return (await log.eventTypes()).includes(term);
  return log.holdsValue(vocabulary.source, term);
}

/** The controller of one vocabulary: its collection, an item, and the item's events. */
function vocabularyController(vocabulary: Vocabulary): Type {
  const { resource, param, what } = vocabulary;

  @ApiTags('Audit (EPCIS 2.0)')
  @RequireScope('audit:read')
  @Controller(`epcis/${resource}`)
  class VocabularyController {
    constructor(
      private readonly events: EpcisEventsService,
      @Inject(AUDIT_LOG_REPOSITORY) private readonly log: AuditLogRepository,
      private readonly host: HttpAdapterHost,
    ) {}

    @Options()
    @ApiDiscovery()
    discoverList(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
      answerOptions(this.host, request, reply);
    }

    @Options(`:${param}`)
    @ApiParam({ name: param })
    @ApiDiscovery()
    discoverItem(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
      answerOptions(this.host, request, reply);
    }

    @Options(`:${param}/events`)
    @ApiParam({ name: param })
    @ApiDiscovery()
    discoverEvents(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
      answerOptions(this.host, request, reply);
    }

    @Get()
    @ApiOperation({ summary: `Every ${what} the audit log's events carry, in byte order, as a Collection; pages continue through the Link header` })
    @ApiPaging()
    @ApiOkResponse({ description: '{"@context", "type": "Collection", "member": [...]}' })
    @ApiEpcisAnswers(COLLECTION_MEDIA, 400, 401, 403, 406)
    async list(
      @Query() params: Record<string, unknown>,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<Record<string, unknown>> {
      const media = mediaFor(request, COLLECTION_MEDIA);
      const { perPage, nextPageToken, ...rest } = singleValued(params);
      noParameters(rest);
      const size = parsePerPage(perPage);
      const after = nextPageToken === undefined ? null : decodeNamePageToken(nextPageToken, resource);
      // One more than the page says whether another follows.
      const values = await valuesOf(this.log, vocabulary, after, size + 1);
      const member = values.slice(0, size);
      const last = member[member.length - 1];
      linkNext(request, reply, perPage === undefined ? {} : { perPage }, values.length > size && last !== undefined ? encodeNamePageToken(last, resource) : null);
      return jsonAnswer(reply, media, collection(member));
    }

    @Get(`:${param}`)
    @ApiOperation({ summary: `The sub-resources of one ${what} (URL-encoded): ["events"]; 404 when no event carries it` })
    @ApiParam({ name: param, example: vocabulary.example })
    @ApiOkResponse({ description: '{"@context", "type": "Collection", "member": ["events"]}' })
    @ApiEpcisAnswers(COLLECTION_MEDIA, 400, 401, 403, 404, 406)
    async item(
      @Param(param) value: string,
      @Query() params: Record<string, unknown>,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<Record<string, unknown>> {
      const media = mediaFor(request, COLLECTION_MEDIA);
      noParameters(params);
      if (!(await holds(this.log, vocabulary, vocabulary.term(value)))) throw new DomainError(ErrorCode.ItemNotFound, `No event of this repository has the ${param} ${value}`);
      return jsonAnswer(reply, media, collection(['events']));
    }

    @Get(`:${param}/events`)
    @ApiOperation({ summary: `Events of one ${what} (URL-encoded), with the /events query parameters and paging` })
    @ApiParam({ name: param, example: vocabulary.example })
    @ApiEpcisQuery(...vocabulary.fixes)
    @ApiEventsDocument(400, 401, 403, 406, 413)
    async eventsOf(
      @Param(param) value: string,
      @Query() params: Record<string, unknown>,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<Record<string, unknown> | string> {
      const media = mediaFor(request, EVENT_DOCUMENT_MEDIA);
      const flat = singleValued(params);
      const clash = vocabulary.fixes.find((name) => name in flat);
      if (clash) throw queryParameterError(clash, 'the path already names it');
      // The path's value joins the token's fingerprint (a token of one EPC does not page another), and is set as
      // parsed rather than re-parsed, so a `|` in it never splits it.
      const fixed = vocabulary.filter(vocabulary.term(value));
      const fingerprint = queryFingerprint({ ...flat, ...fixed.fingerprint });
      const query = parseEventQuery(flat, fingerprint);
      // A field no event carries matches none: the parameters are still checked, nothing is read.
      if (vocabulary.source === null) return eventsAnswer(reply, media, [], 'SimpleEventQuery');
      const page = await this.events.page({ ...query, ...fixed.filter }, fingerprint);
      linkNext(request, reply, flat, page.nextPageToken);
      return eventsAnswer(reply, media, page.events, 'SimpleEventQuery');
    }
  }

  const name = `Epcis${resource[0]?.toUpperCase()}${resource.slice(1)}Controller`;
  // The OpenAPI document's operation ids are the controller's name and the method's.
  Object.defineProperty(VocabularyController, 'name', { value: name });
  return VocabularyController;
}

/** /eventTypes, /epcs, /bizSteps, /dispositions, /bizLocations and /readPoints: collection, item and events of each. */
export const EPCIS_VOCABULARY_CONTROLLERS: readonly Type[] = VOCABULARIES.map(vocabularyController);
