import { DomainError, ErrorCode, type ErrorDetail, isDomainError, type RetryInfo } from '@m2m-trust/shared-domain';

import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { apiKeyChallenge } from './api-key.guard';
import { isOAuthEndpoint } from './form-body';
import { problemTypeOf } from './problem';

/** Errors the HTTP stack raises before a handler runs (routing, body parsing), by status. */
function codeForStatus(status: number): ErrorCode | null {
  switch (status) {
    case 400:
      return ErrorCode.ValidationFailed;
    case 401:
      return ErrorCode.Unauthorized;
    case 404:
      return ErrorCode.RouteNotFound;
    case 413:
      return ErrorCode.PayloadTooLarge;
    case 415:
      return ErrorCode.UnsupportedMediaType;
    default:
      return null;
  }
}

function toDomainError(exception: unknown): DomainError | null {
  if (isDomainError(exception)) return exception;
  const status =
    exception instanceof HttpException
      ? exception.getStatus()
      : typeof (exception as { statusCode?: unknown })?.statusCode === 'number'
        ? (exception as { statusCode: number }).statusCode
        : null;
  const code = status === null ? null : codeForStatus(status);
  if (!code) return null;
  const message = exception instanceof Error ? exception.message : 'Bad request';
  return new DomainError(code, message);
}

/**
 * Retry-After (RFC 9110) and, for rate limits, the RateLimit-* fields of the
 * IETF draft (draft-ietf-httpapi-ratelimit-headers): limit, remaining, reset.
 */
function setRetryHeaders(reply: FastifyReply, retry: RetryInfo): void {
  const seconds = Math.max(1, Math.ceil(retry.afterSeconds));
  void reply.header('retry-after', String(seconds));
  if (retry.limit === undefined) return;
  void reply.header('ratelimit-limit', String(retry.limit));
  void reply.header('ratelimit-remaining', String(retry.remaining ?? 0));
  void reply.header('ratelimit-reset', String(seconds));
  if (retry.windowSeconds !== undefined) void reply.header('ratelimit-policy', `${retry.limit};w=${retry.windowSeconds}`);
}

/**
 * The one exception filter: known errors become application/problem+json
 * (RFC 9457) with a stable `code` and the request id; anything else is logged
 * and answered 500, never 400.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const known = toDomainError(exception);
    if (!known) this.logger.error({ err: exception, requestId: request.id }, 'unhandled error');
    sendProblem(request, reply, known ?? new DomainError(ErrorCode.Internal, 'An unexpected error occurred; the request id identifies it in the logs'));
  }
}

/** What an OAuth endpoint answers as RFC 6749 section 5.2's invalid_request: a request it cannot read. */
const UNREADABLE_REQUEST: ReadonlySet<ErrorCode> = new Set([ErrorCode.ValidationFailed, ErrorCode.PayloadTooLarge, ErrorCode.UnsupportedMediaType]);

/** Answers a known error as application/problem+json (also for routes outside Nest, such as a gateway's pass-through). */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: DomainError): void {
  if (UNREADABLE_REQUEST.has(error.code) && isOAuthEndpoint(request)) {
    void reply
      .status(400)
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ error: 'invalid_request', error_description: error.message, request_id: request.id });
    return;
  }
  const problem = problemTypeOf(error.code);
  const body: Record<string, unknown> = {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: error.message,
    // A path too long to route is not repeated back.
    ...(error.code === ErrorCode.UriTooLong ? {} : { instance: request.url.split('?')[0] }),
    code: error.code,
    requestId: request.id,
  };
  if (error.details.length > 0) body['errors'] = error.details satisfies readonly ErrorDetail[];
  if (error.retry) setRetryHeaders(reply, error.retry);
  // RFC 9110 section 11.6.1: a 401 always names a challenge; a guard that knows its scheme has set it, else it is the API key's.
  if (problem.status === 401 && !reply.hasHeader('www-authenticate')) void reply.header('www-authenticate', apiKeyChallenge(request, null));
  void reply.status(problem.status).header('content-type', 'application/problem+json; charset=utf-8').send(body);
}
