import { AUDIT_LOG_REPOSITORY, type AuditLogRepository } from '@m2m-trust/audit-data-access';
import {
  assertPagingOnly,
  CBV_VERSION,
  decodeNamePageToken,
  encodeNamePageToken,
  EPCIS_VERSION,
  type EventFilter,
  isSubscriptionRequest,
  type NamedQuery,
  pageOf,
  parsePerPage,
  parseSubscriptionControls,
  subscriptionError,
} from '@m2m-trust/audit-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { RequireScope } from '@m2m-trust/shared-platform';

import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { EpcisEventsService } from './epcis-events.service';
import { ApiPaging, eventsAnswer, jsonAnswer, linkNext, mediaFor, noParameters, singleValued } from './epcis-http.helpers';
import { DEFINITION_MEDIA, EVENT_DOCUMENT_MEDIA } from './epcis-media';
import { EpcisSubscriptionHub, type SubscriptionStart } from './epcis-subscription.hub';
import { EpcisWebSocketUpgrades, isWebSocketUpgrade } from './epcis-websocket.upgrades';
import { NamedQueryService } from './named-query.service';

const GS1_HEADERS = { 'GS1-EPCIS-Version': EPCIS_VERSION, 'GS1-CBV-Version': CBV_VERSION } as const;

/** The binding's QueryDefinition as answered: the name and the query as it was given. */
const definition = (q: NamedQuery): { name: string; query: Readonly<Record<string, unknown>> } => ({ name: q.name, query: q.query });

/** An EventSource sends `Accept: text/event-stream`; curl sends `*\/*`; a client asking for JSON only gets a 406, not a stream it cannot read. */
function acceptsEventStream(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => ['text/event-stream', 'text/*', '*/*'].includes((range.split(';')[0] ?? '').trim().toLowerCase()));
}

/** Named queries (POST /queries and friends) and their results, paged or streamed. */
/** The binding's QuerySchedule fields as query string parameters of a WebSocket handshake. */
const ApiScheduleFields = (): MethodDecorator =>
  applyDecorators(
    ...(['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const).map((name) =>
      ApiQuery({ name, required: false, type: String, description: 'A scheduled WebSocket subscription: the query times, numbers and [low-high] ranges separated by commas (UTC)' }),
    ),
  );

@ApiTags('Audit (EPCIS 2.0)')
@RequireScope('audit:read')
@Controller('epcis/queries')
export class NamedQueryController {
  constructor(
    private readonly queries: NamedQueryService,
    private readonly events: EpcisEventsService,
    private readonly subscriptions: EpcisSubscriptionHub,
    private readonly webSockets: EpcisWebSocketUpgrades,
    @Inject(AUDIT_LOG_REPOSITORY) private readonly log: AuditLogRepository,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a named query: {name, query} with the query in the query-schema.json form' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['name', 'query'],
      properties: { name: { type: 'string', example: 'failedLogins' }, query: { type: 'object', example: { EQ_disposition: ['non_conformant'] } } },
    },
  })
  @ApiCreatedResponse({ description: 'Created; Location names the query' })
  @ApiConflictResponse({ description: 'epcisException:ResourceAlreadyExistsException' })
  async create(
    @Body() body: unknown,
    @Query() params: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ name: string; query: Readonly<Record<string, unknown>> }> {
    noParameters(params);
    const created = await this.queries.create(body);
    void reply.status(201).header('location', `/epcis/queries/${encodeURIComponent(created.name)}`);
    return definition(created);
  }

  @Get()
  @ApiOperation({ summary: 'The named queries, in name order; pages continue through the Link header' })
  @ApiPaging()
  @ApiOkResponse({ description: '[{name, query}]' })
  async list(
    @Query() params: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ name: string; query: Readonly<Record<string, unknown>> }[]> {
    const media = mediaFor(request, DEFINITION_MEDIA);
    const { perPage, nextPageToken, ...rest } = singleValued(params);
    noParameters(rest);
    const page = await this.queries.list(nextPageToken === undefined ? null : decodeNamePageToken(nextPageToken, 'queries'), parsePerPage(perPage));
    linkNext(request, reply, perPage === undefined ? {} : { perPage }, page.nextAfter === null ? null : encodeNamePageToken(page.nextAfter, 'queries'));
    return jsonAnswer(reply, media, page.items.map(definition));
  }

  @Get(':queryName')
  @ApiOperation({ summary: 'A named query' })
  @ApiOkResponse({ description: '{name, query}' })
  @ApiNotFoundResponse({ description: 'epcisException:NoSuchNameException' })
  async get(
    @Param('queryName') name: string,
    @Query() params: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ name: string; query: Readonly<Record<string, unknown>> }> {
    const media = mediaFor(request, DEFINITION_MEDIA);
    noParameters(params);
    return jsonAnswer(reply, media, definition((await this.queries.get(name)).query));
  }

  @Delete(':queryName')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a named query; its open subscriptions end' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'epcisException:NoSuchNameException' })
  async delete(@Param('queryName') name: string, @Query() params: Record<string, unknown>): Promise<void> {
    noParameters(params);
    await this.queries.delete(name);
  }

  @Get(':queryName/events')
  @ApiOperation({
    summary:
      "A named query's results, paged like /events; or, with stream=true, a subscription that pushes each new matching event " +
      'as an EPCISQueryDocument: over a WebSocket (Upgrade: websocket, as the binding subscribes; 101, one text message per event) ' +
      'or as Server-Sent Events (Accept: text/event-stream); or, with a schedule (second, minute, hour, dayOfMonth, month, dayOfWeek; not with stream), ' +
      'a WebSocket that gets one EPCISQueryDocument of the events recorded since the previous one at each query time',
  })
  @ApiParam({ name: 'queryName' })
  @ApiPaging()
  @ApiQuery({ name: 'stream', required: false, description: 'true: subscribe (a WebSocket with Upgrade: websocket, else text/event-stream)', type: String })
  @ApiQuery({ name: 'initialRecordTime', required: false, description: 'With stream=true: first replay events recorded since then; with a schedule: where the first report starts (default: the handshake)', type: String })
  @ApiScheduleFields()
  @ApiQuery({ name: 'reportIfEmpty', required: false, description: 'With a schedule: also send a report with no events (default false)', type: Boolean })
  @ApiProduces('application/ld+json', 'application/json', 'application/xml', 'text/event-stream')
  @ApiOkResponse({ description: 'An EPCISQueryDocument, or an event stream' })
  @ApiResponse({
    status: 101,
    description: 'Switching Protocols: a WebSocket subscription; each new matching event (stream=true), or each scheduled report, comes as one text message, an EPCISQueryDocument',
  })
  async results(
    @Param('queryName') name: string,
    @Query() params: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const flat = singleValued(params);
    const { query, criteria } = await this.queries.get(name);
    if (isSubscriptionRequest(flat)) return this.subscribe(query, criteria, flat, request, reply);
    if (isWebSocketUpgrade(request)) throw subscriptionError('stream', 'a WebSocket subscription needs stream=true or a schedule');
    // Subscription controls without stream=true say more than a 406 to an Accept that names only the stream.
    assertPagingOnly(flat);
    const media = mediaFor(request, EVENT_DOCUMENT_MEDIA);
    // Bound to this very definition: a token outlives neither a delete nor a re-create under the same name.
    const fingerprint = `named-query:${query.name}:${query.createdAt}`;
    const page = await this.events.page(pageOf(criteria, flat, fingerprint), fingerprint);
    linkNext(request, reply, flat, page.nextPageToken);
    void reply.send(eventsAnswer(reply, media, page.events, query.name));
  }

  private async subscribe(
    query: NamedQuery,
    filter: EventFilter,
    params: Record<string, string>,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const controls = parseSubscriptionControls(params);
    if (controls.schedule !== undefined) {
      if (!isWebSocketUpgrade(request)) throw subscriptionError('stream', 'a scheduled subscription is a WebSocket (Upgrade: websocket) or a webhook; Server-Sent Events need stream=true');
      const { schedule, reportIfEmpty = false, initialRecordTime } = controls;
      const plan = initialRecordTime === undefined ? { schedule, reportIfEmpty } : { schedule, reportIfEmpty, initialRecordTime };
      return this.webSockets.accept(request, reply, this.subscriptions.schedule(query.name, filter, plan));
    }
    if (isWebSocketUpgrade(request)) {
      const start: SubscriptionStart = controls.initialRecordTime === undefined ? null : { fromRecordTime: controls.initialRecordTime };
      return this.webSockets.accept(request, reply, this.subscriptions.open(query.name, filter, start, 'messages'));
    }
    if (!acceptsEventStream(request.headers.accept)) {
      throw new DomainError(ErrorCode.NotAcceptable, 'A subscription is a text/event-stream; send Accept: text/event-stream');
    }
    // A reconnecting EventSource names the last event it got: resume right after it, whatever initialRecordTime says.
    const lastEventId = request.headers['last-event-id'];
    let start: SubscriptionStart = controls.initialRecordTime === undefined ? null : { fromRecordTime: controls.initialRecordTime };
    if (typeof lastEventId === 'string' && lastEventId !== '') {
      const after = await this.log.positionOf(lastEventId);
      if (after === null) throw subscriptionError('Last-Event-ID', 'names no event of this repository');
      start = { after };
    }
    const subscription = this.subscriptions.open(query.name, filter, start);
    void reply
      .headers({
        ...GS1_HEADERS,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        // Proxies that buffer responses (nginx) would hold events back.
        'x-accel-buffering': 'no',
        // A stream is never followed by another request on its connection: closing it with the stream lets the server stop promptly.
        connection: 'close',
      })
      .send(subscription.stream);
  }
}
