import { OAuthEndpoint, RequireScope } from '@m2m-trust/shared-platform';

import { Body, Controller, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { IntrospectionRequestSchema, IntrospectionResponseSchema, OAuthErrorSchema } from './oauth.dto';
import { OAuthError } from './oauth.error';
import { OAuthErrorFilter } from './oauth-error.filter';
import { type IntrospectionResult, TokenIntrospection } from './token-introspection.service';

const FORM = /^application\/x-www-form-urlencoded\b/i;

/** The token to introspect, or why the request is malformed (RFC 6749 section 3.1: each parameter at most once). */
function tokenOf(request: FastifyRequest, body: unknown): string {
  if (!FORM.test(request.headers['content-type'] ?? '')) throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
  const { token, token_type_hint: hint } = (body ?? {}) as Record<string, unknown>;
  if (typeof token !== 'string' || token.length === 0) throw new OAuthError('invalid_request', 'The "token" parameter is required, once');
  if (hint !== undefined && typeof hint !== 'string') throw new OAuthError('invalid_request', 'The "token_type_hint" parameter may be given once');
  return token;
}

/**
 * RFC 7662 token introspection for resource servers: an API key with the
 * `devices:read` scope (a resource server reads whether a device's token holds).
 */
@ApiTags('OAuth 2.0')
@UseFilters(OAuthErrorFilter)
@ApiSecurity('apiKey')
@ApiSecurity('bearer')
@Controller('oauth2')
export class TokenIntrospectionController {
  constructor(private readonly introspection: TokenIntrospection) {}

  @Post('introspect')
  @HttpCode(200)
  @OAuthEndpoint()
  @RequireScope('devices:read')
  @ApiOperation({
    summary: 'Whether an access token is active (RFC 7662)',
    description: '`active: false` for an invalid or expired token and for every token of a device revoked since (docs/tokens.md).',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ schema: IntrospectionRequestSchema })
  @ApiOkResponse({ schema: IntrospectionResponseSchema })
  @ApiBadRequestResponse({ schema: OAuthErrorSchema, description: '`invalid_request`: no token' })
  async introspect(@Req() request: FastifyRequest, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<IntrospectionResult> {
    // The answer says whether a credential is usable right now: no cache may keep it.
    void reply.header('cache-control', 'no-store');
    return this.introspection.introspect(tokenOf(request, body));
  }
}
