import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { AcceptsFormBody } from '@m2m-trust/shared-platform';

import { IntrospectionRequestSchema, IntrospectionResponseSchema, type OAuthError, OAuthErrorSchema } from './oauth.dto';
import { type IntrospectionResult, TokenIntrospection } from './token-introspection.service';

const FORM = /^application\/x-www-form-urlencoded\b/i;

/** The token to introspect, or why the request is malformed (RFC 6749 section 3.1: each parameter at most once). */
function tokenOf(request: FastifyRequest, body: unknown): string | OAuthError {
  if (!FORM.test(request.headers['content-type'] ?? '')) {
    return { error: 'invalid_request', error_description: 'The body must be application/x-www-form-urlencoded' };
  }
  const { token, token_type_hint: hint } = (body ?? {}) as Record<string, unknown>;
  if (typeof token !== 'string' || token.length === 0) return { error: 'invalid_request', error_description: 'The "token" parameter is required, once' };
  if (hint !== undefined && typeof hint !== 'string') return { error: 'invalid_request', error_description: 'The "token_type_hint" parameter may be given once' };
  return token;
}

/**
 * RFC 7662 token introspection for resource servers. Needs an operator API
 * key (the route is not public).
 */
// TODO(issue 7, scoped API keys): require the `devices:read` scope once per-route scopes land.
@ApiTags('OAuth 2.0')
@ApiSecurity('apiKey')
@ApiSecurity('bearer')
@Controller('oauth2')
export class TokenIntrospectionController {
  constructor(private readonly introspection: TokenIntrospection) {}

  @Post('introspect')
  @HttpCode(200)
  @AcceptsFormBody()
  @ApiOperation({
    summary: 'Whether an access token is active (RFC 7662)',
    description: '`active: false` for an invalid or expired token and for every token of a device revoked since (docs/tokens.md).',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ schema: IntrospectionRequestSchema })
  @ApiOkResponse({ schema: IntrospectionResponseSchema })
  @ApiBadRequestResponse({ schema: OAuthErrorSchema, description: '`invalid_request`: no token' })
  async introspect(@Req() request: FastifyRequest, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<IntrospectionResult | OAuthError> {
    // The answer says whether a credential is usable right now: no cache may keep it.
    void reply.header('cache-control', 'no-store');
    const token = tokenOf(request, body);
    if (typeof token !== 'string') {
      void reply.status(400);
      return token;
    }
    return this.introspection.introspect(token);
  }
}
