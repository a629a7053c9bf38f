import { APP_CONFIG, type AppConfig } from '@m2m-trust/shared-platform';

import { Module } from '@nestjs/common';

import { AuditGrpcController } from './audit.grpc-controller';
import { AuditChainController } from './audit-chain.controller';
import { AuditChainVerifier } from './audit-chain.verifier';
import { AuditCheckpointPublisher } from './audit-checkpoint.publisher';
import { AuditCheckpointService } from './audit-checkpoint.service';
import { AuditExportController } from './audit-export.controller';
import { AuditExportService } from './audit-export.service';
import { AuditProofService } from './audit-proof.service';
import { AUDIT_SIGNING_KEY, loadAuditSigningKey } from './audit-signing-key';
import { EpcisDiscoveryController } from './epcis-discovery.controller';
import { EpcisEventsService } from './epcis-events.service';
import { EpcisHeadersHook } from './epcis-gs1-headers';
import { EpcisQueryController } from './epcis-query.controller';
import { EpcisSubscriptionHub } from './epcis-subscription.hub';
import { EPCIS_VOCABULARY_CONTROLLERS } from './epcis-vocabulary.controller';
import { EpcisWebSocketUpgrades } from './epcis-websocket.upgrades';
import { NamedQueryController } from './named-query.controller';
import { NamedQueryService } from './named-query.service';
import { QuerySubscriptionController } from './query-subscription.controller';
import { QuerySubscriptionService } from './query-subscription.service';
import { SubscriptionByIdController } from './subscription-by-id.controller';
import { WEBHOOK_OPTIONS, WebhookDeliverer, type WebhookOptions } from './webhook-deliverer';

/** Deliveries as the operator configured them; a POST carries up to 500 events and gets 10 s. */
const webhookOptions = (config: AppConfig): WebhookOptions => ({ ...config.audit.webhooks, batchSize: 500, timeoutMs: 10_000, pollMs: 5_000 });

/** Needs AUDIT_LOG_REPOSITORY, AUDIT_CHAIN_STORE, NAMED_QUERY_REPOSITORY, QUERY_SUBSCRIPTION_REPOSITORY and EVENT_BUS from the composition root. */
@Module({
  controllers: [
    AuditChainController,
    AuditExportController,
    EpcisDiscoveryController,
    EpcisQueryController,
    ...EPCIS_VOCABULARY_CONTROLLERS,
    NamedQueryController,
    QuerySubscriptionController,
    SubscriptionByIdController,
  ],
  providers: [
    AuditChainVerifier,
    AuditCheckpointPublisher,
    AuditCheckpointService,
    AuditExportService,
    AuditProofService,
    AuditGrpcController,
    EpcisEventsService,
    EpcisHeadersHook,
    EpcisSubscriptionHub,
    EpcisWebSocketUpgrades,
    NamedQueryService,
    QuerySubscriptionService,
    WebhookDeliverer,
    { provide: WEBHOOK_OPTIONS, useFactory: webhookOptions, inject: [APP_CONFIG] },
    { provide: AUDIT_SIGNING_KEY, useFactory: (config: AppConfig) => loadAuditSigningKey(config.dataDir), inject: [APP_CONFIG] },
  ],
  exports: [AuditCheckpointService, AuditGrpcController],
})
export class AuditModule {}
