import type { GrpcServiceBinding } from '@m2m-trust/shared-grpc-server';
import type { AuditHandlers, QueryEventsRequest__Output } from '@m2m-trust/shared-proto';

import type { ServiceClients } from './service-clients';

/** m2m.v1.Audit at a distributed gateway: the caller's key and its audit:read scope checked here, each QueryEvents stream relayed from the audit service. */
export const auditPassthroughBinding = (clients: ServiceClients): GrpcServiceBinding => ({
  name: 'm2m.v1.Audit',
  definition: (m2m) => m2m.m2m.v1.Audit.service,
  handlers: (calls): AuditHandlers => ({
    QueryEvents: calls.serverStream('audit:read', (request: QueryEventsRequest__Output, context) => clients.queryEvents(request, context)),
  }),
});
