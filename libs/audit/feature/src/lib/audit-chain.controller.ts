import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { Public, RequireScope } from '@m2m-trust/shared-platform';

import { Controller, Get, Header } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { JSONWebKeySet } from 'jose';

import { AuditChainVerifier, type ChainReport } from './audit-chain.verifier';
import { AuditCheckpointService } from './audit-checkpoint.service';

@ApiTags('Audit (EPCIS 2.0)')
@Controller('epcis')
export class AuditChainController {
  constructor(
    private readonly checkpoints: AuditCheckpointService,
    private readonly verifier: AuditChainVerifier,
  ) {}

  /** Public like any key set: anyone holding an export or checkpoint must be able to check it. */
  @Public()
  @Get('checkpoints/latest')
  @ApiOperation({ summary: 'The newest signed checkpoint of the audit chain (sequence, head) and the key set that verifies it' })
  @ApiOkResponse({ description: '{ seq, head, signedAt, kid, jws, keys }' })
  @ApiNotFoundResponse({ description: 'ROUTE_NOT_FOUND: the audit log is empty, so there is no checkpoint yet' })
  async latest(): Promise<Record<string, unknown>> {
    const checkpoint = await this.checkpoints.latest();
    if (!checkpoint) throw new DomainError(ErrorCode.RouteNotFound, 'The audit log is empty: there is no checkpoint yet');
    return { ...checkpoint, keys: this.checkpoints.keySet() };
  }

  @Public()
  @Get('checkpoints/keys')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'The JWKS of the keys that sign checkpoints and export manifests' })
  keys(): JSONWebKeySet {
    return this.checkpoints.keySet();
  }

  @Get('chain/verify')
  @RequireScope('audit:read')
  @ApiOperation({ summary: 'Walk the whole chain and every checkpoint; name the first record that is not what the chain says' })
  @ApiOkResponse({ description: 'The chain report: whether the chain and its checkpoints hold, and the first record that does not' })
  verify(): Promise<ChainReport> {
    return this.verifier.verify();
  }
}
