import { ErrorCode, isDomainError } from '@m2m-trust/shared-domain';
import type { EventMetadata } from '@m2m-trust/shared-events';
import { EventMeta, OAuthEndpoint, Public } from '@m2m-trust/shared-platform';
import { RateLimitedByAddress } from '@m2m-trust/shared-rate-limit';

import { Body, Controller, Header, Headers, HttpCode, Post, UseFilters } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';

import { ClientCredentials } from './client-credentials';
import { OAuthErrorSchema } from './oauth.dto';
import { OAuthError } from './oauth.error';
import { OAuthErrorFilter } from './oauth-error.filter';
import { parseTokenRequest, type TokenRequestForm, type TokenResponse } from './token-request.form';

/** The OAuth 2.0 token endpoint (docs/tokens.md): devices authenticate with their own key, so no API key. */
@ApiTags('OAuth 2.0')
@Public()
@UseFilters(OAuthErrorFilter)
@Controller('oauth2')
export class TokenController {
  constructor(private readonly clientCredentials: ClientCredentials) {}

  @Post('token')
  @RateLimitedByAddress()
  @OAuthEndpoint()
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @Header('pragma', 'no-cache')
  @ApiOperation({ summary: 'client_credentials grant with private_key_jwt client authentication (RFC 6749, RFC 7523)' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { access_token: { type: 'string' }, token_type: { type: 'string', enum: ['Bearer'] }, expires_in: { type: 'integer' } },
      required: ['access_token', 'token_type', 'expires_in'],
    },
  })
  @ApiBadRequestResponse({ schema: OAuthErrorSchema, description: 'RFC 6749 section 5.2: `invalid_request`, `unsupported_grant_type`, `invalid_scope`' })
  @ApiUnauthorizedResponse({
    schema: OAuthErrorSchema,
    description:
      '`invalid_client`: no client assertion, or one refused (also one used before, however many callers send it at once). ' +
      'WWW-Authenticate names the scheme the client tried in Authorization, else `PrivateKeyJwt`',
  })
  async token(
    @Body() form: TokenRequestForm | undefined,
    @Headers('content-type') contentType: string | undefined,
    @EventMeta() meta: EventMetadata,
  ): Promise<TokenResponse> {
    // RFC 6749 section 3.2: the token endpoint takes form parameters; a JSON body is a malformed request, not a lenient one.
    if (!/^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) {
      throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
    }
    const request = parseTokenRequest(form ?? {});
    try {
      const token = await this.clientCredentials.requestToken(request, meta);
      return { access_token: token.accessToken, token_type: token.tokenType, expires_in: token.expiresIn };
    } catch (error) {
      // A refused client is RFC 6749's invalid_client (401); anything else (rate limits, conflicts) stays problem+json.
      if (isDomainError(error) && error.code === ErrorCode.Unauthorized) throw new OAuthError('invalid_client', error.message);
      throw error;
    }
  }
}
