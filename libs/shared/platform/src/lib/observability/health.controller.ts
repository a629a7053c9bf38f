import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { Public } from '../http/public.decorator';
import { Metrics } from './metrics';

export type HealthCheck = () => Promise<void> | void;
export const HEALTH_CHECKS = Symbol.for('m2m-trust.HealthChecks');

@ApiTags('Operations')
@Controller()
export class HealthController {
  constructor(@Inject(HEALTH_CHECKS) private readonly checks: readonly HealthCheck[]) {}

  @Public()
  @Get('health')
  @ApiOkResponse({ description: 'Ready: the database answers', schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } })
  async health(): Promise<{ status: 'ok' }> {
    try {
      for (const check of this.checks) await check();
    } catch {
      throw new DomainError(ErrorCode.ServiceUnavailable, 'A dependency is not ready');
    }
    return { status: 'ok' };
  }
}

@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Public()
  @Get('metrics')
  @ApiExcludeEndpoint()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
