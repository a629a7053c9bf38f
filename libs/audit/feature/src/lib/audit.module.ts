import { APP_CONFIG, type AppConfig } from '@m2m-trust/shared-platform';

import { Module } from '@nestjs/common';

import { AuditGrpcController } from './audit.grpc-controller';
import { AuditChainController } from './audit-chain.controller';
import { AuditChainVerifier } from './audit-chain.verifier';
import { AuditCheckpointService } from './audit-checkpoint.service';
import { AuditExportController } from './audit-export.controller';
import { AuditExportService } from './audit-export.service';
import { AUDIT_SIGNING_KEY, loadAuditSigningKey } from './audit-signing-key';
import { EpcisDiscoveryController } from './epcis-discovery.controller';
import { EpcisEventsService } from './epcis-events.service';
import { EpcisHeadersHook } from './epcis-gs1-headers';
import { EpcisQueryController } from './epcis-query.controller';
import { EpcisSubscriptionHub } from './epcis-subscription.hub';
import { EPCIS_VOCABULARY_CONTROLLERS } from './epcis-vocabulary.controller';
import { NamedQueryController } from './named-query.controller';
import { NamedQueryService } from './named-query.service';

/** Needs AUDIT_LOG_REPOSITORY, AUDIT_CHAIN_STORE, NAMED_QUERY_REPOSITORY and EVENT_BUS from the composition root. */
@Module({
  controllers: [AuditChainController, AuditExportController, EpcisDiscoveryController, EpcisQueryController, ...EPCIS_VOCABULARY_CONTROLLERS, NamedQueryController],
  providers: [
    AuditChainVerifier,
    AuditCheckpointService,
    AuditExportService,
    AuditGrpcController,
    EpcisEventsService,
    EpcisHeadersHook,
    EpcisSubscriptionHub,
    NamedQueryService,
    { provide: AUDIT_SIGNING_KEY, useFactory: (config: AppConfig) => loadAuditSigningKey(config.dataDir), inject: [APP_CONFIG] },
  ],
  exports: [AuditCheckpointService, AuditGrpcController],
})
export class AuditModule {}
