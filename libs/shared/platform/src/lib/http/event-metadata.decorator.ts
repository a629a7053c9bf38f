import type { EventMetadata } from '@m2m-trust/shared-events';

import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

import type { AuthenticatedRequest } from './api-key.guard';

/** Who is acting and under which request id: what every event records of its cause. */
export const EventMeta = createParamDecorator((_: unknown, context: ExecutionContext): EventMetadata => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  return request.actor ? { requestId: request.id, actor: request.actor } : { requestId: request.id };
});
