import { CBV_VERSION, EPCIS_VERSION, queryParameterError } from '@m2m-trust/audit-domain';
import { EXPORT_FORMATS } from '@m2m-trust/audit-export';
import { RequireScope } from '@m2m-trust/shared-platform';

import { Readable } from 'node:stream';
import { Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { AuditExportService } from './audit-export.service';

/** One value per parameter: alternatives are `|`-separated in one value, as on /epcis/events. */
function flatParams(params: Record<string, unknown>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== 'string') throw queryParameterError(name, 'give the parameter once; separate alternatives with |');
    flat[name] = value;
  }
  return flat;
}

const SNAPSHOT = {
  name: 'snapshot',
  required: false,
  description: 'export the records up to this sequence number (default: the chain head when the request arrives); the same snapshot and filters give the same CSV',
  schema: { type: 'integer', minimum: 0 },
} as const;

@ApiTags('Audit (EPCIS 2.0)')
@RequireScope('audit:read')
@Controller('epcis')
export class AuditExportController {
  constructor(private readonly exports: AuditExportService) {}

  @Get('export')
  @ApiOperation({
    summary: 'Stream every matching audit event (same filters as /epcis/events) with a signed manifest for offline checking',
    description:
      'JSON-LD and XML end with the signed manifest; a CSV is a plain RFC 4180 table whose manifest is served by ' +
      'GET /epcis/export/manifest, linked from the answer (`Link: <…>; rel="describedby"`).',
  })
  @ApiQuery({ name: 'format', required: false, enum: [...EXPORT_FORMATS] })
  @ApiQuery(SNAPSHOT)
  @ApiProduces('application/ld+json', 'application/xml', 'text/csv')
  @ApiOkResponse({ description: 'The export, streamed' })
  @ApiBadRequestResponse({ description: 'QueryParameterException: an unknown format or filter, paging parameters, a snapshot beyond the chain head' })
  async export(@Query() params: Record<string, unknown>, @Res({ passthrough: true }) reply: FastifyReply): Promise<StreamableFile> {
    const prepared = await this.exports.prepare(flatParams(params));
    void reply.header('GS1-EPCIS-Version', EPCIS_VERSION).header('GS1-CBV-Version', CBV_VERSION);
    if (prepared.format === 'csv') {
      // The CSV's manifest, for this very snapshot and these filters (RFC 8288).
      void reply.header('Link', `<export/manifest?${new URLSearchParams({ format: 'csv', ...prepared.query }).toString()}>; rel="describedby"; type="application/jose"`);
    }
    return new StreamableFile(Readable.from(prepared.body), {
      type: prepared.contentType,
      disposition: `attachment; filename="${prepared.filename}"`,
    });
  }

  @Get('export/manifest')
  @ApiOperation({
    summary: 'The signed manifest of a CSV export (same filters and snapshot), as a compact JWS',
    description: 'Claims as in the JSON-LD and XML manifests; `bodySha256` is the SHA-256 of the CSV file exactly as GET /epcis/export answers it.',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['csv'] })
  @ApiQuery(SNAPSHOT)
  @ApiProduces('application/jose')
  @ApiOkResponse({ description: 'A compact JWS (typ m2m-audit-export+jws)' })
  @ApiBadRequestResponse({ description: 'QueryParameterException: a format other than csv, an unknown filter, a snapshot beyond the chain head' })
  async manifest(@Query() params: Record<string, unknown>, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const jws = await this.exports.manifest(flatParams(params));
    void reply.header('GS1-EPCIS-Version', EPCIS_VERSION).header('GS1-CBV-Version', CBV_VERSION).type('application/jose');
    return jws;
  }
}
