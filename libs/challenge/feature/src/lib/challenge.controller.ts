import type { EventMetadata } from '@m2m-trust/shared-events';
import { EventMeta, Public, SchemaPipe } from '@m2m-trust/shared-platform';
import { RateLimitedByAddress } from '@m2m-trust/shared-rate-limit';

import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { Authenticator } from './authenticator';
import {
  type ChallengeResponse,
  ChallengeResponseSchema,
  type InitiateChallengeBody,
  InitiateChallengeBodySchema,
  type VerifyBody,
  VerifyBodySchema,
  type VerifyResponse,
  VerifyResponseSchema,
} from './challenge.dto';

/** Called by devices themselves: no API key (rate limits come in front of these). */
@ApiTags('Authentication')
@Public()
@Controller('v1/challenges')
export class ChallengeController {
  constructor(private readonly challenges: Authenticator) {}

  @Post()
  @RateLimitedByAddress()
  @ApiOperation({
    summary: 'Issue a single-use challenge for a device to sign',
    description:
      "Every well-formed request is answered alike: for an unknown, revoked or locked device the challenge is a decoy that never verifies (audited as a failed authentication), and only a verify signed with the device's key is told why (docs/abuse-limits.md).",
  })
  @ApiBody({ schema: InitiateChallengeBodySchema })
  @ApiCreatedResponse({ schema: ChallengeResponseSchema })
  initiate(@Body(new SchemaPipe(InitiateChallengeBodySchema)) body: InitiateChallengeBody, @EventMeta() meta: EventMetadata): Promise<ChallengeResponse> {
    return this.challenges.initiate(body.deviceId, meta);
  }

  @Post('verify')
  @RateLimitedByAddress()
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify the signed challenge; the first attempt consumes it, whatever its outcome' })
  @ApiBody({ schema: VerifyBodySchema })
  @ApiOkResponse({ schema: VerifyResponseSchema })
  verify(@Body(new SchemaPipe(VerifyBodySchema)) body: VerifyBody, @EventMeta() meta: EventMetadata): Promise<VerifyResponse> {
    return this.challenges.verify(body.challengeId, body.signature, meta);
  }
}
