import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { v7 as uuidv7 } from 'uuid';

import { problemTypeOf } from './problem';
import { sendProblem } from './problem-details.filter';

/** The methods some route here answers; any other is 501 for every resource (RFC 9110 section 15.6.2). */
export const IMPLEMENTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The router's refusals (Fastify's frameworkErrors): an undecodable URL, a path parameter longer than maxParamLength. */
function routerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    sendProblem(request, reply, new DomainError(ErrorCode.UriTooLong, 'A path segment is longer than any resource here accepts'));
    return;
  }
  sendProblem(request, reply, new DomainError(ErrorCode.MalformedUrl, 'The URL is not valid percent-encoded UTF-8'));
}

/** A problem+json answer written on the bare socket: Node's parser refused the request, so there is no request to reply to. */
function rawProblem(error: DomainError): string {
  const problem = problemTypeOf(error.code);
  const body = JSON.stringify({ type: problem.type, title: problem.title, status: problem.status, detail: error.message, code: error.code, requestId: uuidv7() });
  return [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** What Node's HTTP parser refused, as the problem it is (its codes: node's llhttp `HPE_*`). */
function parserRefusal(error: NodeJS.ErrnoException): DomainError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new DomainError(ErrorCode.HeaderFieldsTooLarge, 'The request header fields exceed the size this server reads');
    case 'HPE_INVALID_METHOD':
      return new DomainError(ErrorCode.MethodNotImplemented, 'The request method is not one this server implements');
    default:
      return new DomainError(ErrorCode.MalformedRequest, 'The request is not well-formed HTTP/1.1');
  }
}

/** Fastify's clientErrorHandler: Node's parser refused the bytes (oversized headers, an unknown method, garbage). */
function clientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Duplex): void {
  // A timeout or reset: nobody is listening for an answer.
  if (error.code === 'ECONNRESET' || error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) {
    socket.destroy();
    return;
  }
  const refusal = parserRefusal(error);
  this.log.info({ code: refusal.code, parserCode: error.code }, 'request refused before routing');
  socket.end(rawProblem(refusal));
}

/** The Fastify options that turn the errors raised before a route runs into problem+json with a stable code. */
export const preRouteErrorOptions = {
  frameworkErrors: routerError,
  clientErrorHandler: clientError,
} satisfies Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'>;

/**
 * The methods no route answers: TRACE and its kin reach Fastify and are 501
 * problem+json here (not a 404 for a path that exists); CONNECT never
 * reaches a request handler (Node emits 'connect'), so it is answered on the socket.
 */
export function refuseUnimplementedMethods(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (IMPLEMENTED_METHODS.has(request.method)) {
      done();
      return;
    }
    sendProblem(request, reply, new DomainError(ErrorCode.MethodNotImplemented, `The ${request.method} method is implemented for no resource here`));
  });
  fastify.server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.end(rawProblem(new DomainError(ErrorCode.MethodNotImplemented, 'The CONNECT method is implemented for no resource here')));
  });
}
