import { Public } from '@m2m-trust/shared-platform';

import { applyDecorators, HttpCode } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';

import { GS1_HEADERS } from './epcis-gs1-headers';

/** Routes that exist to answer the binding's 501 for what it defines and this repository does not offer: never in Allow. */
const NOT_OFFERED: ReadonlySet<string> = new Set(['POST /epcis/capture', 'GET /epcis/capture', 'GET /epcis/capture/:captureID', 'POST /epcis/events', 'DELETE /epcis/nextPageToken/:token']);
const METHODS: readonly HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Documents an OPTIONS route: public (discovery names versions and methods,
 * no data), 204 with Allow and the GS1 discovery headers.
 */
export const ApiDiscovery = (): MethodDecorator =>
  applyDecorators(
    Public(),
    HttpCode(204),
    ApiOperation({ summary: 'Discovery: the methods this resource allows and the EPCIS and CBV versions, formats and extensions it serves' }),
    ApiResponse({
      status: 204,
      description: 'Allow and the GS1 discovery headers',
      headers: Object.fromEntries([
        ['Allow', { description: 'The methods the resource allows', schema: { type: 'string' } }],
        ...Object.keys(GS1_HEADERS).map((name) => [name, { schema: { type: 'string' } }]),
      ]),
    }),
  );

/**
 * An OPTIONS answer (the GS1 headers come from the /epcis hook): Allow names
 * the methods Fastify really serves at the request's route pattern, but
 * those that answer 501, so a route added anywhere is announced without a list to keep.
 */
export function answerOptions(host: HttpAdapterHost, request: FastifyRequest, reply: FastifyReply): void {
  const url = request.routeOptions.url ?? request.url;
  const fastify = host.httpAdapter.getInstance<FastifyInstance>();
  const served = METHODS.filter((method) => !NOT_OFFERED.has(`${method} ${url}`) && fastify.hasRoute({ method, url }));
  // Fastify answers HEAD wherever it serves GET.
  const withHead = served.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method]));
  void reply.header('allow', ['OPTIONS', ...withHead].join(', '));
}
