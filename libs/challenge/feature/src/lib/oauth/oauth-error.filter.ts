import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { OAuthError, TOKEN_ENDPOINT_CHALLENGE } from './oauth.error';

const AUTH_SCHEME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?=\s|$)/;

/**
 * RFC 6749 section 5.2: a client that tried to authenticate in the Authorization header and failed gets a
 * challenge of the scheme it used; any other 401 names the token endpoint's own (RFC 9110 section 11.6.1).
 */
function challengeFor(request: FastifyRequest): string {
  const scheme = AUTH_SCHEME.exec((request.headers.authorization ?? '').trim())?.[0];
  return scheme === undefined ? TOKEN_ENDPOINT_CHALLENGE : `${scheme} realm="m2m-trust"`;
}

/** Renders OAuthError as RFC 6749 section 5.2 JSON; every other error goes on to the problem+json filter. */
@Catch(OAuthError)
export class OAuthErrorFilter implements ExceptionFilter<OAuthError> {
  catch(exception: OAuthError, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (exception.status === 401) void reply.header('www-authenticate', challengeFor(request));
    void reply
      .status(exception.status)
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ error: exception.error, error_description: exception.description, request_id: request.id });
  }
}
