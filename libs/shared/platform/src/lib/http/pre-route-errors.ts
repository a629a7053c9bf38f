import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions, RouteOptions } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { v7 as uuidv7 } from 'uuid';

import { problemTypeOf } from './problem';
import { sendProblem } from './problem-details.filter';

/** The methods some route here answers. */
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

/** The methods a route declares, HEAD beside every GET (Fastify answers HEAD for each GET route). */
function methodsOf(route: RouteOptions): string[] {
  const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((method) => method.toUpperCase());
  return methods.includes('GET') ? [...new Set([...methods, 'HEAD'])] : methods;
}

/**
 * Requests no route takes. A path some route serves, asked with another
 * method Node knows (PUT on a collection, TRACE anywhere), is 405
 * `METHOD_NOT_ALLOWED` with the `Allow` header RFC 9110 section 15.5.6
 * requires; an unknown path stays 404. A method Node's parser does not know
 * (refused in {@link clientError}) and CONNECT (Node emits 'connect', no
 * request handler runs) are 501: implemented for no resource (section 15.6.2).
 * The paths are known from Fastify's onRoute hook, so this must run before the
 * application registers its routes.
 */
export function refuseUnroutedMethods(fastify: FastifyInstance, routerOptions: { maxParamLength: number }): void {
  // A router of its own, fed the same routes, finds which methods serve a path that Fastify's router matched for none.
  const paths = FindMyWay({ maxParamLength: routerOptions.maxParamLength });
  const allowed = new Map<string, Set<string>>();
  fastify.addHook('onRoute', (route) => {
    for (const method of methodsOf(route)) {
      const known = allowed.get(route.url) ?? new Set<string>();
      if (known.size === 0) allowed.set(route.url, known);
      if (!known.has(method)) paths.on(method as HTTPMethod, route.url, () => undefined, { url: route.url });
      known.add(method);
    }
  });
  const allowOf = (url: string): string[] => {
    const path = url.split('?')[0] ?? url;
    const methods = new Set<string>();
    for (const method of IMPLEMENTED_METHODS) {
      const found = paths.find(method as HTTPMethod, path);
      const pattern = (found?.store as { url?: string } | undefined)?.url;
      if (pattern !== undefined) for (const known of allowed.get(pattern) ?? []) methods.add(known);
    }
    return [...IMPLEMENTED_METHODS].filter((method) => methods.has(method));
  };
  fastify.addHook('onRequest', (request, reply, done) => {
    // Only a request Fastify routed nowhere (or a method no route takes) pays for the lookup.
    if (!request.is404 && IMPLEMENTED_METHODS.has(request.method)) {
      done();
      return;
    }
    const allow = allowOf(request.url);
    if (allow.length === 0) {
      done();
      return;
    }
    void reply.header('allow', allow.join(', '));
    sendProblem(request, reply, new DomainError(ErrorCode.MethodNotAllowed, `${request.method} is not allowed here; this resource answers ${allow.join(', ')}`));
  });
  fastify.server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.end(rawProblem(new DomainError(ErrorCode.MethodNotImplemented, 'The CONNECT method is implemented for no resource here')));
  });
}
