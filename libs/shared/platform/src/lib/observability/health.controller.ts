import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';

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
  @ApiOperation({ summary: 'Readiness: every dependency answers' })
  @ApiServiceUnavailableResponse({ description: 'SERVICE_UNAVAILABLE: a dependency is not ready' })
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

@ApiTags('Operations')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Public()
  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics of this process (text exposition format 0.0.4)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The metrics, as `promtool check metrics` accepts them', schema: { type: 'string' } })
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
