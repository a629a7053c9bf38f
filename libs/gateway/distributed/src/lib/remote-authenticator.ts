import {
  Authenticator,
  type ChallengeResponse,
  type ClientCredentials,
  type ClientCredentialsRequest,
  type VerifyResponse,
} from '@m2m-trust/challenge-feature';
import type { EventMetadata, VerifyFailureReason } from '@m2m-trust/shared-events';
import type { AccessToken__Output, Challenge__Output, VerifyResponse__Output } from '@m2m-trust/shared-proto';
import type { IssuedAccessToken } from '@m2m-trust/token-feature';

import { Injectable } from '@nestjs/common';

import { ServiceClients } from './service-clients';

const REASON_PREFIX = 'VERIFY_FAILURE_REASON_';

/**
 * A gateway's challenge-response and client-credentials grant: each call goes to the challenge service over gRPC
 * (any instance; challenge state is shared).
 */
@Injectable()
export class RemoteAuthenticator extends Authenticator implements ClientCredentials {
  constructor(private readonly services: ServiceClients) {
    super();
  }

  async initiate(deviceId: string, metadata: EventMetadata): Promise<ChallengeResponse> {
    const { authentication } = this.services;
    const challenge = await this.services.call<Challenge__Output>('challenge', authentication, 'InitiateChallenge', { deviceId }, metadata);
    return { id: challenge.id, deviceId: challenge.deviceId, nonce: challenge.nonce, algorithm: 'Ed25519', expiresAt: challenge.expiresAt };
  }

  async verify(challengeId: string, signature: string, metadata: EventMetadata): Promise<VerifyResponse> {
    const { authentication } = this.services;
    const answer = await this.services.call<VerifyResponse__Output>('challenge', authentication, 'Verify', { challengeId, signature }, metadata);
    return answer.verified
      ? {
          verified: true,
          deviceId: answer.deviceId,
          verifiedAt: answer.verifiedAt,
          accessToken: answer.accessToken,
          tokenType: 'Bearer',
          expiresIn: answer.expiresIn,
        }
      : { verified: false, reason: String(answer.reason).slice(REASON_PREFIX.length) as VerifyFailureReason };
  }

  /** m2m.v1 carries no client id: the assertion names its device. */
  async requestToken({ assertion }: ClientCredentialsRequest, metadata: EventMetadata): Promise<IssuedAccessToken> {
    const { authentication } = this.services;
    const token = await this.services.call<AccessToken__Output>('challenge', authentication, 'RequestToken', { clientAssertion: assertion }, metadata);
    return { accessToken: token.accessToken, tokenType: 'Bearer', expiresIn: token.expiresIn };
  }
}
