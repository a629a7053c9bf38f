import { Public } from '@m2m-trust/shared-platform';

import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { JSONWebKeySet } from 'jose';

import { JwksSchema } from './jwks.dto';
import { TokenSigningKeyRing } from './token-signing-key-ring';

/** What resource servers fetch to trust this service's tokens: public, cacheable. */
@ApiTags('OAuth 2.0')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(private readonly ring: TokenSigningKeyRing) {}

  @Get('jwks.json')
  @ApiOperation({
    summary: 'The keys that verify access tokens (RFC 7517), by kid',
    description: 'Holds the signing key, the next key before it signs and retired keys until their tokens have expired; cacheable for less than the publish-ahead delay (docs/tokens.md).',
  })
  @ApiOkResponse({ schema: JwksSchema })
  jwks(@Res({ passthrough: true }) reply: FastifyReply): JSONWebKeySet {
    void reply.header('cache-control', `public, max-age=${this.ring.schedule.jwksMaxAgeSeconds}`);
    return { keys: this.ring.published().map((key) => key.jwk) };
  }
}
