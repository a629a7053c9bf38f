import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import formBody from '@fastify/formbody';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RouteConfig } from '@nestjs/platform-fastify';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const FORM = 'application/x-www-form-urlencoded';
const ACCEPTS_FORM = 'm2mTrustAcceptsForm';
const OAUTH_ERRORS = 'm2mTrustOAuthErrors';
const REGISTERED = 'm2mTrustFormBody';

const isForm = (request: FastifyRequest): boolean => (request.headers['content-type'] ?? '').toLowerCase().startsWith(FORM);

/**
 * Marks a route that takes an `application/x-www-form-urlencoded` body: the
 * OAuth endpoints, whose RFCs (6749, 7662) prescribe it. Every other route is
 * JSON-only and answers such a body 415.
 */
export const AcceptsFormBody = (): MethodDecorator => RouteConfig(FORM_BODY_ROUTE_CONFIG);

/**
 * An OAuth endpoint (RFC 6749's token endpoint, RFC 7662's introspection): it takes form bodies, and a body it
 * cannot read (malformed, too large, of another media type) is RFC 6749 section 5.2's `400 invalid_request`,
 * not problem+json (sendProblem).
 */
export const OAuthEndpoint = (): MethodDecorator => RouteConfig({ ...FORM_BODY_ROUTE_CONFIG, [OAUTH_ERRORS]: true });

/** True on a route marked @OAuthEndpoint(). */
export const isOAuthEndpoint = (request: FastifyRequest): boolean =>
  (request.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[OAUTH_ERRORS] === true;

/** True for a handler marked @OAuthEndpoint() (the OpenAPI document reads it before any request). */
export const isOAuthEndpointHandler = (handler: object): boolean =>
  (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as Record<string, unknown> | undefined)?.[OAUTH_ERRORS] === true;

/** The same mark for a route registered on Fastify directly (a gateway's pass-through of the OAuth routes). */
export const FORM_BODY_ROUTE_CONFIG: Readonly<Record<string, unknown>> = { [ACCEPTS_FORM]: true };

/**
 * Form bodies for the routes marked @AcceptsFormBody() and for no other.
 * Nest's Fastify adapter installs a form parser for every route; it is
 * replaced here by @fastify/formbody, and a hook refuses form bodies, before
 * they are parsed, on every route not marked. (Fastify's parsers apply to the
 * whole instance Nest puts its routes on, so the route config is the only
 * per-route switch.) Duplicate parameters parse to arrays, which the OAuth
 * routes refuse.
 */
@Injectable()
export class FormBodySupport implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyInstance>();
    if (fastify.hasDecorator(REGISTERED)) return;
    fastify.decorate(REGISTERED, true);
    if (fastify.hasContentTypeParser(FORM)) fastify.removeContentTypeParser(FORM);
    // Not awaited: awaiting would load the routes queued so far at once, before
    // Nest installs its error handler, and their errors would bypass the problem filter.
    void fastify.register(formBody);
    fastify.addHook('onRequest', async (request) => {
      // An unmatched route has no config; its 404 says more than a 415 would.
      if (!isForm(request) || request.routeOptions.url === undefined) return;
      if ((request.routeOptions.config as unknown as Record<string, unknown>)[ACCEPTS_FORM] !== true) {
        throw new DomainError(ErrorCode.UnsupportedMediaType, `Unsupported Media Type: ${FORM}`);
      }
    });
  }
}
