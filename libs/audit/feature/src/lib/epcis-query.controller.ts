import { CBV_VERSION, EPCIS_VERSION, parseEventQuery, queryFingerprint } from '@m2m-trust/audit-domain';
import { RequireScope } from '@m2m-trust/shared-platform';

import { Controller, Get, Header, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { EpcisEventsService } from './epcis-events.service';
import { ApiEpcisQuery, JSON_LD, linkNext, singleValued } from './epcis-http.helpers';

/** The EPCIS 2.0 REST query binding over the audit log. */
@ApiTags('Audit (EPCIS 2.0)')
@RequireScope('audit:read')
@Controller('epcis')
export class EpcisQueryController {
  constructor(private readonly events: EpcisEventsService) {}

  @Get('events')
  @ApiOperation({ summary: 'Query audit events (EPCIS SimpleEventQuery); pages continue through the Link header' })
  @ApiEpcisQuery()
  @ApiProduces('application/ld+json')
  @ApiOkResponse({ description: 'An EPCISQueryDocument (JSON-LD)' })
  @Header('GS1-EPCIS-Version', EPCIS_VERSION)
  @Header('GS1-CBV-Version', CBV_VERSION)
  @Header('content-type', JSON_LD)
  async query(
    @Query() params: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    const flat = singleValued(params);
    const fingerprint = queryFingerprint(flat);
    const page = await this.events.page(parseEventQuery(flat, fingerprint), fingerprint);
    linkNext(request, reply, flat, page.nextPageToken);
    return page.document;
  }
}
