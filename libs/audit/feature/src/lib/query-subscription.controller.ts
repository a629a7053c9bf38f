import { decodeNamePageToken, encodeNamePageToken, parsePerPage, type QuerySubscriptionView, subscriptionView } from '@m2m-trust/audit-domain';
import { RequireScope } from '@m2m-trust/shared-platform';

import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { ApiPaging, linkNext, noParameters, singleValued } from './epcis-http.helpers';
import { QuerySubscriptionService } from './query-subscription.service';

/** The EPCIS QuerySchedule grammar of every field: numbers and [low-high] ranges, separated by commas. */
const scheduleField = (min: number, max: number, what: string): SchemaObject => ({
  type: 'string',
  pattern: '^(\\d{1,2}|\\[\\d{1,2}-\\d{1,2}\\])(,(\\d{1,2}|\\[\\d{1,2}-\\d{1,2}\\]))*$',
  description: `The ${what} a query time must have (${min} to ${max}, UTC): numbers and [low-high] ranges separated by commas; omitted, any value matches`,
});

const SCHEDULE_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  description: 'When the query runs (EPCIS QuerySchedule); each run reports the matching events recorded since the previous one as one EPCISQueryDocument',
  properties: {
    second: scheduleField(0, 59, 'second'),
    minute: scheduleField(0, 59, 'minute'),
    hour: scheduleField(0, 23, 'hour'),
    dayOfMonth: scheduleField(1, 31, 'day of month'),
    month: scheduleField(1, 12, 'month'),
    dayOfWeek: scheduleField(1, 7, 'day of week (1 Monday … 7 Sunday)'),
  },
  example: { second: '0', minute: '5', hour: '1' },
};

export const SUBSCRIPTION_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['subscriptionID', 'queryName', 'dest', 'initialRecordTime', 'createdAt'],
  properties: {
    subscriptionID: { type: 'string', format: 'uuid' },
    queryName: { type: 'string' },
    dest: { type: 'string', format: 'uri' },
    stream: { type: 'boolean', enum: [true], description: 'A stream subscription (absent on a scheduled one)' },
    schedule: SCHEDULE_SCHEMA,
    reportIfEmpty: { type: 'boolean', description: 'A scheduled subscription reports an empty result too' },
    initialRecordTime: { type: 'string', format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    lastNotifiedAt: { type: 'string', format: 'date-time', description: 'When the receiver last answered a delivery with 2xx' },
  },
};

/**
 * Webhook subscriptions to a named query, as the binding defines them
 * (`/queries/{queryName}/subscriptions`). The signature token is never
 * answered back.
 */
@ApiTags('Audit (EPCIS 2.0)')
@RequireScope('audit:read')
@ApiParam({ name: 'queryName', description: 'A named query' })
@Controller('epcis/queries/:queryName/subscriptions')
export class QuerySubscriptionController {
  constructor(private readonly subscriptions: QuerySubscriptionService) {}

  @Post()
  @ApiOperation({
    summary:
      'Subscribe a webhook to a named query: with stream: true each new matching event, with a schedule the matching events recorded since ' +
      'the previous run (at each query time, UTC), is POSTed to dest as an EPCISQueryDocument, at least once, ' +
      'signed in GS1-Signature (base64 HMAC-SHA-256 of the body keyed with signatureToken)',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['dest'],
      description: 'Exactly one of stream: true and schedule',
      properties: {
        dest: { type: 'string', format: 'uri', example: 'https://client.example.com/queryCallback' },
        signatureToken: { type: 'string', example: '13df38d8275b13f05704629e5f1cf3d45d6132d5' },
        stream: { type: 'boolean', enum: [true] },
        schedule: SCHEDULE_SCHEMA,
        reportIfEmpty: { type: 'boolean', default: false, description: 'With a schedule: POST an empty result too' },
        initialRecordTime: { type: 'string', format: 'date-time' },
      },
    },
  })
  @ApiCreatedResponse({ description: 'Subscribed; Location names the subscription', schema: SUBSCRIPTION_SCHEMA })
  @ApiBadRequestResponse({ description: 'epcisException:SubscriptionControlsException' })
  @ApiNotFoundResponse({ description: 'epcisException:NoSuchNameException' })
  async create(
    @Param('queryName') queryName: string,
    @Body() body: unknown,
    @Query() params: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QuerySubscriptionView> {
    noParameters(params);
    const created = await this.subscriptions.create(queryName, body);
    void reply.status(201).header('location', `/epcis/queries/${encodeURIComponent(queryName)}/subscriptions/${created.subscriptionID}`);
    return subscriptionView(created);
  }

  @Get()
  @ApiOperation({ summary: "A named query's subscriptions; pages continue through the Link header" })
  @ApiPaging()
  @ApiOkResponse({ description: 'The subscriptions', schema: { type: 'array', items: SUBSCRIPTION_SCHEMA } })
  @ApiNotFoundResponse({ description: 'epcisException:NoSuchNameException' })
  async list(
    @Param('queryName') queryName: string,
    @Query() params: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QuerySubscriptionView[]> {
    const { perPage, nextPageToken, ...rest } = singleValued(params);
    noParameters(rest);
    const list = `subscriptions:${queryName}`;
    const page = await this.subscriptions.list(queryName, nextPageToken === undefined ? null : decodeNamePageToken(nextPageToken, list), parsePerPage(perPage));
    linkNext(request, reply, perPage === undefined ? {} : { perPage }, page.nextAfter === null ? null : encodeNamePageToken(page.nextAfter, list));
    return page.items.map(subscriptionView);
  }

  @Get(':subscriptionID')
  @ApiOperation({ summary: 'A subscription, while it is active' })
  @ApiParam({ name: 'subscriptionID' })
  @ApiOkResponse({ description: 'The subscription', schema: SUBSCRIPTION_SCHEMA })
  @ApiNotFoundResponse({ description: 'epcisException:NoSuchNameException' })
  async get(
    @Param('queryName') queryName: string,
    @Param('subscriptionID') subscriptionID: string,
    @Query() params: Record<string, unknown>,
  ): Promise<QuerySubscriptionView> {
    noParameters(params);
    return subscriptionView(await this.subscriptions.get(queryName, subscriptionID));
  }

  @Delete(':subscriptionID')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unsubscribe: no delivery starts after this answers' })
  @ApiParam({ name: 'subscriptionID' })
  @ApiNoContentResponse({ description: 'Unsubscribed' })
  @ApiNotFoundResponse({ description: 'epcisException:NoSuchNameException' })
  async delete(@Param('queryName') queryName: string, @Param('subscriptionID') subscriptionID: string, @Query() params: Record<string, unknown>): Promise<void> {
    noParameters(params);
    await this.subscriptions.delete(queryName, subscriptionID);
  }
}
