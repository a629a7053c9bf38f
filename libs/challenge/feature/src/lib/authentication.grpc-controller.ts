import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { SchemaPipe } from '@m2m-trust/shared-platform';
import type {
  AccessToken,
  AuthenticationDefinition,
  Challenge,
  GrpcCallContext,
  GrpcUnaryController,
  InitiateChallengeRequest__Output,
  RequestTokenRequest__Output,
  VerifyRequest__Output,
  VerifyResponse,
} from '@m2m-trust/shared-proto';

import { type ArgumentMetadata, Injectable } from '@nestjs/common';

import { Authenticator } from './authenticator';
import { type InitiateChallengeBody, InitiateChallengeBodySchema, type VerifyBody, VerifyBodySchema } from './challenge.dto';
import { ClientCredentials } from './oauth/client-credentials';

/** A request message is validated as HTTP validates a body: unknown fields refused, the same messages. */
const MESSAGE: ArgumentMetadata = { type: 'body' };

/**
 * m2m.v1.Authentication: the same schemas and the same services as POST /v1/challenges,
 * /v1/challenges/verify and /oauth2/token. Called by devices: no API key.
 */
@Injectable()
export class AuthenticationGrpcController implements GrpcUnaryController<AuthenticationDefinition> {
  private readonly initiateBody = new SchemaPipe<InitiateChallengeBody>(InitiateChallengeBodySchema);
  private readonly verifyBody = new SchemaPipe<VerifyBody>(VerifyBodySchema);

  constructor(
    private readonly challenges: Authenticator,
    private readonly clientCredentials: ClientCredentials,
  ) {}

  async initiateChallenge(request: InitiateChallengeRequest__Output, context: GrpcCallContext): Promise<Challenge> {
    const { deviceId } = this.initiateBody.transform({ deviceId: request.deviceId }, MESSAGE);
    return this.challenges.initiate(deviceId, context);
  }

  async verify(request: VerifyRequest__Output, context: GrpcCallContext): Promise<VerifyResponse> {
    const { challengeId, signature } = this.verifyBody.transform({ challengeId: request.challengeId, signature: request.signature }, MESSAGE);
    const answer = await this.challenges.verify(challengeId, signature, context);
    // The template type checks at compile time that every domain reason has its enum value in the proto.
    return answer.verified
      ? {
          verified: true,
          deviceId: answer.deviceId,
          verifiedAt: answer.verifiedAt,
          reason: 'VERIFY_FAILURE_REASON_UNSPECIFIED',
          accessToken: answer.accessToken,
          tokenType: answer.tokenType,
          expiresIn: answer.expiresIn,
        }
      : { verified: false, reason: `VERIFY_FAILURE_REASON_${answer.reason}` };
  }

  async requestToken(request: RequestTokenRequest__Output, context: GrpcCallContext): Promise<AccessToken> {
    if (!request.clientAssertion) throw new DomainError(ErrorCode.ValidationFailed, 'client_assertion is required');
    return this.clientCredentials.requestToken({ assertion: request.clientAssertion }, context);
  }
}
