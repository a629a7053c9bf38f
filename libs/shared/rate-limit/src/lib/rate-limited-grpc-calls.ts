import type { GrpcAccess, GrpcCallLimiter } from '@m2m-trust/shared-grpc-server';

import { Injectable } from '@nestjs/common';

import { clientAddressKey, peerAddress } from './client-address';
import { RateLimits } from './rate-limits';

/**
 * gRPC's edge limits, as HTTP's: public calls (InitiateChallenge, Verify)
 * against the peer's address, the others against the authenticated API key.
 * A refusal is RESOURCE_EXHAUSTED with a retry-after trailer (the adapter's mapping).
 */
@Injectable()
export class RateLimitedGrpcCalls implements GrpcCallLimiter {
  constructor(private readonly limits: RateLimits) {}

  async admit(call: { readonly access: GrpcAccess; readonly actor: string | null; readonly peer: string }): Promise<void> {
    if (call.access === 'public') await this.limits.consume('address', clientAddressKey(peerAddress(call.peer)));
    else if (call.actor !== null) await this.limits.consume('apiKey', call.actor);
  }
}
