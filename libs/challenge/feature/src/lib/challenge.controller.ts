import type { EventMetadata } from '@m2m-trust/shared-events';
import { EventMeta, Public, SchemaPipe } from '@m2m-trust/shared-platform';
import { RateLimitedByAddress } from '@m2m-trust/shared-rate-limit';

import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';

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
  @ApiOperation({ summary: 'Issue a single-use challenge for a device to sign' })
  @ApiBody({ schema: InitiateChallengeBodySchema })
  @ApiCreatedResponse({ schema: ChallengeResponseSchema })
  @ApiNotFoundResponse({ description: 'DEVICE_NOT_FOUND' })
  @ApiConflictResponse({ description: 'DEVICE_REVOKED' })
  @ApiResponse({ status: 423, description: 'DEVICE_LOCKED: see Retry-After' })
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
