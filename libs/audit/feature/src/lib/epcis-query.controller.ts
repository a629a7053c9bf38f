import { AUDIT_LOG_REPOSITORY, type AuditLogRepository } from '@m2m-trust/audit-data-access';
import { parseEventQuery, queryFingerprint } from '@m2m-trust/audit-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { RequireScope } from '@m2m-trust/shared-platform';

import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { EpcisEventsService } from './epcis-events.service';
import { ApiEpcisQuery, ApiEventsDocument, eventsAnswer, linkNext, mediaFor, noParameters, singleValued } from './epcis-http.helpers';
import { EVENT_DOCUMENT_MEDIA } from './epcis-media';

/** The EPCIS 2.0 REST query binding over the audit log: /events and one event. */
@ApiTags('Audit (EPCIS 2.0)')
@RequireScope('audit:read')
@Controller('epcis')
export class EpcisQueryController {
  constructor(
    private readonly events: EpcisEventsService,
    @Inject(AUDIT_LOG_REPOSITORY) private readonly log: AuditLogRepository,
  ) {}

  @Get('events')
  @ApiOperation({ summary: 'Query audit events (EPCIS SimpleEventQuery); pages continue through the Link header' })
  @ApiEpcisQuery()
  @ApiEventsDocument(400, 401, 403, 406, 413)
  async query(
    @Query() params: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown> | string> {
    const media = mediaFor(request, EVENT_DOCUMENT_MEDIA);
    const flat = singleValued(params);
    const fingerprint = queryFingerprint(flat);
    const page = await this.events.page(parseEventQuery(flat, fingerprint), fingerprint);
    linkNext(request, reply, flat, page.nextPageToken);
    return eventsAnswer(reply, media, page.events, 'SimpleEventQuery');
  }

  @Get('events/:eventID')
  @ApiOperation({ summary: 'One audit event by its event hash ID (URL-encoded), in an EPCISQueryDocument as the binding answers it' })
  @ApiParam({ name: 'eventID', example: 'ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0' })
  @ApiEventsDocument(400, 401, 403, 404, 406)
  async event(
    @Param('eventID') eventId: string,
    @Query() params: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown> | string> {
    const media = mediaFor(request, EVENT_DOCUMENT_MEDIA);
    noParameters(params);
    const event = await this.log.findByEventId(eventId);
    if (!event) throw new DomainError(ErrorCode.EventNotFound, `No event has the ID ${eventId}`);
    return eventsAnswer(reply, media, [event], 'SimpleEventQuery');
  }
}
