import { CBV_VERSION, EPCIS_VERSION, queryParameterError } from '@m2m-trust/audit-domain';
import { EXPORT_FORMATS } from '@m2m-trust/audit-export';
import { RequireScope } from '@m2m-trust/shared-platform';

import { Readable } from 'node:stream';
import { Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { AuditExportService } from './audit-export.service';

@ApiTags('Audit (EPCIS 2.0)')
@RequireScope('audit:read')
@Controller('epcis')
export class AuditExportController {
  constructor(private readonly exports: AuditExportService) {}

  @Get('export')
  @ApiOperation({
    summary: 'Stream every matching audit event (same filters as /epcis/events) with a signed manifest for offline checking',
  })
  @ApiQuery({ name: 'format', required: false, enum: [...EXPORT_FORMATS] })
  @ApiProduces('application/ld+json', 'application/xml', 'text/csv')
  async export(@Query() params: Record<string, unknown>, @Res({ passthrough: true }) reply: FastifyReply): Promise<StreamableFile> {
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(params)) {
      if (typeof value !== 'string') throw queryParameterError(name, 'give the parameter once; separate alternatives with |');
      flat[name] = value;
    }
    const prepared = await this.exports.prepare(flat);
    void reply.header('GS1-EPCIS-Version', EPCIS_VERSION).header('GS1-CBV-Version', CBV_VERSION);
    return new StreamableFile(Readable.from(prepared.body), {
      type: prepared.contentType,
      disposition: `attachment; filename="${prepared.filename}"`,
    });
  }
}
