import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { OAuthError, TOKEN_ENDPOINT_CHALLENGE } from './oauth.error';

/** Renders OAuthError as RFC 6749 section 5.2 JSON; every other error goes on to the problem+json filter. */
@Catch(OAuthError)
export class OAuthErrorFilter implements ExceptionFilter<OAuthError> {
  catch(exception: OAuthError, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (exception.status === 401) void reply.header('www-authenticate', exception.challenge ?? TOKEN_ENDPOINT_CHALLENGE);
    void reply
      .status(exception.status)
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ error: exception.error, error_description: exception.description, request_id: request.id });
  }
}
