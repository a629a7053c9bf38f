import { Controller, Get, Header, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { AUDIT_LOG_REPOSITORY, type AuditLogRepository } from '@m2m-trust/audit-data-access';
import {
  CBV_VERSION,
  encodePageToken,
  EPCIS_CONTEXT,
  EPCIS_VERSION,
  parseEventQuery,
  queryFingerprint,
} from '@m2m-trust/audit-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

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
  ['EQ_m2m:reason', 'Failure reason (extension field), `|`-separated'],
  ['perPage', 'Events per page, 1 to 1000 (default 100)'],
  ['nextPageToken', 'Token from the previous page\'s Link header'],
] as const;

/** Documents every supported query parameter in the OpenAPI description. */
const ApiEpcisQuery = (): MethodDecorator => (target, key, descriptor) => {
  for (const [name, description] of QUERY_PARAMETERS) ApiQuery({ name, description, required: false, type: String })(target, key, descriptor);
};

/** The EPCIS 2.0 REST query binding over the audit log. */
@ApiTags('Audit (EPCIS 2.0)')
@ApiSecurity('apiKey')
@ApiSecurity('bearer')
@Controller('epcis')
export class EpcisQueryController {
  constructor(@Inject(AUDIT_LOG_REPOSITORY) private readonly log: AuditLogRepository) {}

  @Get('events')
  @ApiOperation({ summary: 'Query audit events (EPCIS SimpleEventQuery); pages continue through the Link header' })
  @ApiEpcisQuery()
  @ApiProduces('application/ld+json')
  @ApiOkResponse({ description: 'An EPCISQueryDocument (JSON-LD)' })
  @Header('GS1-EPCIS-Version', EPCIS_VERSION)
  @Header('GS1-CBV-Version', CBV_VERSION)
  @Header('content-type', 'application/ld+json; charset=utf-8')
  async events(
    @Query() params: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    const flat = singleValued(params);
    const query = parseEventQuery(flat);
    const page = await this.log.query(query);
    if (page.nextAfter !== null) {
      const next = new URLSearchParams({ ...flat, nextPageToken: encodePageToken(page.nextAfter, queryFingerprint(flat)) });
      const path = request.url.split('?')[0] as string;
      void reply.header('link', `<${path}?${next.toString()}>; rel="next"`);
    }
    return {
      '@context': EPCIS_CONTEXT,
      type: 'EPCISQueryDocument',
      schemaVersion: '2.0',
      creationDate: new Date().toISOString(),
      epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: page.events } } },
    };
  }
}

/** Each EPCIS parameter appears once; alternatives go in one value separated by `|`. */
function singleValued(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== 'string') {
      throw new DomainError(ErrorCode.QueryParameterInvalid, `${name}: give the parameter once; separate alternatives with |`, [
        { path: name, message: 'repeated' },
      ]);
    }
    out[name] = value;
  }
  return out;
}

