import type { EventMetadata } from '@m2m-trust/shared-events';

import type { ChallengeResponse, VerifyResponse } from './challenge.dto';

/**
 * What the challenge transports (HTTP, gRPC) call: ChallengeService where
 * challenges are decided, a client of the challenge service in a gateway of
 * the distributed mode. The class is the injection token.
 */
export abstract class Authenticator {
  abstract initiate(deviceId: string, metadata: EventMetadata): Promise<ChallengeResponse>;
  abstract verify(challengeId: string, signature: string, metadata: EventMetadata): Promise<VerifyResponse>;
}
