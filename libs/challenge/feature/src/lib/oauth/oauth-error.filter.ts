import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { OAuthError } from './oauth.error';

/** Renders OAuthError as RFC 6749 section 5.2 JSON; every other error goes on to the problem+json filter. */
@Catch(OAuthError)
export class OAuthErrorFilter implements ExceptionFilter<OAuthError> {
  catch(exception: OAuthError, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    void http
      .getResponse<FastifyReply>()
      .status(exception.status)
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ error: exception.error, error_description: exception.description, request_id: request.id });
  }
}
