import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { Public, RequireScope } from '@m2m-trust/shared-platform';

import { applyDecorators, Controller, Delete, Get, Options, Post, Query, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { ApiEpcisAnswers, collection, jsonAnswer, mediaFor, noParameters } from './epcis-http.helpers';
import { COLLECTION_MEDIA } from './epcis-media';
import { answerOptions, ApiDiscovery } from './epcis-options';

/** The binding's top-level resources this repository offers: all but capture (its events are written only by the system). */
export const TOP_LEVEL_RESOURCES = ['events', 'eventTypes', 'epcs', 'bizSteps', 'bizLocations', 'readPoints', 'dispositions', 'queries'] as const;

const CAPTURE_NOT_OFFERED =
  'Capture is not offered: this repository records only the events of its own domain (registrations, authentications, revocations), written by the system itself';

/** Documents a route that answers the binding's 501. */
/**
 * A function of the binding this repository does not offer: it answers the binding's 501 to GS1 clients, and is left
 * out of this API's OpenAPI document, which describes what is offered (an operation there must have a success answer).
 */
const ApiNotOffered = (summary: string): MethodDecorator => applyDecorators(Public(), ApiExcludeEndpoint(), ApiOperation({ summary }), ApiEpcisAnswers([], 501));

/**
 * The binding's discovery: GET /epcis (the top-level resources), OPTIONS on
 * every /epcis path (Allow from the routes really served), and the 501s of
 * what it defines and this repository does not offer: capture, and releasing
 * page tokens (they hold no server resources: each names a position in the log).
 */
@ApiTags('Audit (EPCIS 2.0)')
@RequireScope('audit:read')
@Controller('epcis')
export class EpcisDiscoveryController {
  constructor(private readonly host: HttpAdapterHost) {}

  @Get()
  @ApiOperation({ summary: 'The top-level resources of this EPCIS repository (capture is not offered)' })
  @ApiOkResponse({ description: '{"@context", "type": "Collection", "member": ["events", "eventTypes", ...]}' })
  @ApiEpcisAnswers(COLLECTION_MEDIA, 400, 401, 403, 406)
  topLevel(@Query() params: Record<string, unknown>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Record<string, unknown> {
    const media = mediaFor(request, COLLECTION_MEDIA);
    noParameters(params);
    return jsonAnswer(reply, media, collection(TOP_LEVEL_RESOURCES));
  }

  @Options(['', 'events', 'queries', 'capture', 'checkpoints/latest', 'checkpoints/keys', 'chain/verify', 'export'])
  @ApiDiscovery()
  discover(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    answerOptions(this.host, request, reply);
  }

  @Options('events/:eventID')
  @ApiParam({ name: 'eventID' })
  @ApiDiscovery()
  discoverEvent(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    answerOptions(this.host, request, reply);
  }

  @Options(['queries/:queryName', 'queries/:queryName/events', 'queries/:queryName/subscriptions'])
  @ApiParam({ name: 'queryName' })
  @ApiDiscovery()
  discoverQuery(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    answerOptions(this.host, request, reply);
  }

  @Options('queries/:queryName/subscriptions/:subscriptionID')
  @ApiParam({ name: 'queryName' })
  @ApiParam({ name: 'subscriptionID' })
  @ApiDiscovery()
  discoverSubscription(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    answerOptions(this.host, request, reply);
  }

  @Options('subscriptions/:subscriptionID')
  @ApiParam({ name: 'subscriptionID' })
  @ApiDiscovery()
  discoverSubscriptionById(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    answerOptions(this.host, request, reply);
  }

  @Options('capture/:captureID')
  @ApiParam({ name: 'captureID' })
  @ApiDiscovery()
  discoverCaptureJob(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    answerOptions(this.host, request, reply);
  }

  @Options('nextPageToken/:token')
  @ApiParam({ name: 'token' })
  @ApiDiscovery()
  discoverPageToken(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    answerOptions(this.host, request, reply);
  }

  @Post('capture')
  @ApiNotOffered('Capture (not offered: 501 ImplementationException)')
  capture(): never {
    return this.notOffered(CAPTURE_NOT_OFFERED);
  }

  @Get('capture')
  @ApiNotOffered('Capture jobs (capture is not offered: 501 ImplementationException)')
  captureJobs(): never {
    return this.notOffered(CAPTURE_NOT_OFFERED);
  }

  @Get('capture/:captureID')
  @ApiParam({ name: 'captureID' })
  @ApiNotOffered('A capture job (capture is not offered: 501 ImplementationException)')
  captureJob(): never {
    return this.notOffered(CAPTURE_NOT_OFFERED);
  }

  @Post('events')
  @ApiNotOffered('Capture of one event (not offered: 501 ImplementationException)')
  captureEvent(): never {
    return this.notOffered(CAPTURE_NOT_OFFERED);
  }

  @Delete('nextPageToken/:token')
  @ApiParam({ name: 'token' })
  @ApiNotOffered('Release a page token (not needed, 501: a token holds no server resources, it names a position in the log)')
  releasePageToken(): never {
    return this.notOffered('Page tokens hold no server resources (each names a position in the log), so there is nothing to release');
  }

  private notOffered(detail: string): never {
    throw new DomainError(ErrorCode.NotImplemented, detail);
  }
}
