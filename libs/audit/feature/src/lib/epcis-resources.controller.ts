import { AUDIT_LOG_REPOSITORY, type AuditLogRepository } from '@m2m-trust/audit-data-access';
import {
  bizStepTerm,
  CBV_VERSION,
  decodeNamePageToken,
  encodeNamePageToken,
  EPCIS_CONTEXT,
  EPCIS_VERSION,
  epcValue,
  parseEventQuery,
  parsePerPage,
  queryFingerprint,
  queryParameterError,
} from '@m2m-trust/audit-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { RequireScope } from '@m2m-trust/shared-platform';

import { Controller, Get, Header, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { EpcisEventsService } from './epcis-events.service';
import { ApiEpcisQuery, ApiPaging, JSON_LD, linkNext, noParameters, singleValued } from './epcis-http.helpers';

/** The binding's top-level resources over the audit log: one event, the event types, events by EPC and by business step. */
@ApiTags('Audit (EPCIS 2.0)')
@RequireScope('audit:read')
@Controller('epcis')
export class EpcisResourcesController {
  constructor(
    private readonly events: EpcisEventsService,
    @Inject(AUDIT_LOG_REPOSITORY) private readonly log: AuditLogRepository,
  ) {}

  @Get('events/:eventID')
  @ApiOperation({ summary: 'One audit event by its event hash ID (URL-encoded), as a standalone JSON-LD event' })
  @ApiParam({ name: 'eventID', example: 'ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0' })
  @ApiProduces('application/ld+json')
  @ApiOkResponse({ description: 'The ObjectEvent with its @context' })
  @ApiNotFoundResponse({ description: 'epcisException:NoSuchNameException' })
  @Header('GS1-EPCIS-Version', EPCIS_VERSION)
  @Header('GS1-CBV-Version', CBV_VERSION)
  @Header('content-type', JSON_LD)
  async event(@Param('eventID') eventId: string, @Query() params: Record<string, unknown>): Promise<Record<string, unknown>> {
    noParameters(params);
    const event = await this.log.findByEventId(eventId);
    if (!event) throw new DomainError(ErrorCode.EventNotFound, `No event has the ID ${eventId}`);
    return { '@context': EPCIS_CONTEXT, ...event };
  }

  @Get('eventTypes')
  @ApiOperation({ summary: 'The EPCIS event types the audit log holds events of' })
  @ApiPaging()
  @ApiProduces('application/ld+json')
  @ApiOkResponse({ description: '{"@context", "type": "Collection", "member": [...]}' })
  @Header('GS1-EPCIS-Version', EPCIS_VERSION)
  @Header('GS1-CBV-Version', CBV_VERSION)
  @Header('content-type', JSON_LD)
  async eventTypes(
    @Query() params: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    const { perPage, nextPageToken, ...rest } = singleValued(params);
    noParameters(rest);
    const size = parsePerPage(perPage);
    const after = nextPageToken === undefined ? null : decodeNamePageToken(nextPageToken, 'eventTypes');
    const types = (await this.log.eventTypes()).filter((type) => after === null || type > after);
    const member = types.slice(0, size);
    const last = member[member.length - 1];
    linkNext(request, reply, perPage === undefined ? {} : { perPage }, types.length > size && last ? encodeNamePageToken(last, 'eventTypes') : null);
    return { '@context': EPCIS_CONTEXT, type: 'Collection', member };
  }

  @Get('epcs/:epc/events')
  @ApiOperation({ summary: 'Events of one EPC (a device URI, URL-encoded), with the /events query parameters and paging' })
  @ApiParam({ name: 'epc', example: 'urn:m2m-trust:device:scanner-floor-3' })
  @ApiEpcisQuery('MATCH_epc', 'MATCH_anyEPC')
  @ApiProduces('application/ld+json')
  @ApiOkResponse({ description: 'An EPCISQueryDocument (JSON-LD)' })
  @Header('GS1-EPCIS-Version', EPCIS_VERSION)
  @Header('GS1-CBV-Version', CBV_VERSION)
  @Header('content-type', JSON_LD)
  async byEpc(
    @Param('epc') epc: string,
    @Query() params: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    return this.fixedBy(['MATCH_epc', 'MATCH_anyEPC'], { MATCH_epc: epcValue('epc', epc) }, { epcs: [epc] }, params, request, reply);
  }

  @Get('bizSteps/:bizStep/events')
  @ApiOperation({ summary: 'Events of one business step (CBV bare word or URI, URL-encoded), with the /events query parameters and paging' })
  @ApiParam({ name: 'bizStep', example: 'inspecting' })
  @ApiEpcisQuery('EQ_bizStep')
  @ApiProduces('application/ld+json')
  @ApiOkResponse({ description: 'An EPCISQueryDocument (JSON-LD)' })
  @Header('GS1-EPCIS-Version', EPCIS_VERSION)
  @Header('GS1-CBV-Version', CBV_VERSION)
  @Header('content-type', JSON_LD)
  async byBizStep(
    @Param('bizStep') bizStep: string,
    @Query() params: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    const term = bizStepTerm('bizStep', bizStep);
    return this.fixedBy(['EQ_bizStep'], { EQ_bizStep: term }, { bizSteps: [term] }, params, request, reply);
  }

  /**
   * /events with one filter fixed by the path. The path's value joins the
   * token's fingerprint (a token of one EPC does not page another), and is
   * set as parsed rather than re-parsed, so a `|` in it never splits it.
   */
  private async fixedBy(
    names: readonly string[],
    fingerprintPart: Record<string, string>,
    filter: { epcs?: string[]; bizSteps?: string[] },
    params: Record<string, unknown>,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    const flat = singleValued(params);
    const clash = names.find((name) => name in flat);
    if (clash) throw queryParameterError(clash, 'the path already names it');
    const fingerprint = queryFingerprint({ ...flat, ...fingerprintPart });
    const page = await this.events.page({ ...parseEventQuery(flat, fingerprint), ...filter }, fingerprint);
    linkNext(request, reply, flat, page.nextPageToken);
    return page.document;
  }
}
