import type { GrpcServiceBinding } from '@m2m-trust/shared-grpc-server';
import type { AuditHandlers } from '@m2m-trust/shared-proto';

import type { AuditGrpcController } from './audit.grpc-controller';

/** m2m.v1.Audit as any process serves it: the gateway, or the audit service itself. */
export const auditBinding = (audit: AuditGrpcController): GrpcServiceBinding => ({
  name: 'm2m.v1.Audit',
  definition: (m2m) => m2m.m2m.v1.Audit.service,
  handlers: (calls): AuditHandlers => ({
    QueryEvents: calls.serverStream('audit:read', (request) => audit.queryEvents(request)),
  }),
});
