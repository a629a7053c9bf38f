import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The Fastify route config flag that asks for the body's bytes (set by @DeviceAuth()). */
const RAW_BODY_ROUTE_FLAG = 'm2mRawBody';
const CHUNKS = Symbol('m2m-trust.rawBodyChunks');

type RequestWithChunks = FastifyRequest & { [CHUNKS]?: Buffer[] };

/** Marks a route whose body bytes must be kept, for Content-Digest. */
export const KeepRawBody = (): MethodDecorator & ClassDecorator => RouteConfig({ [RAW_BODY_ROUTE_FLAG]: true });

/** The body's bytes as received on a route marked KeepRawBody(); undefined when it had none. */
export function rawBodyOf(request: FastifyRequest): Buffer | undefined {
  const chunks = (request as RequestWithChunks)[CHUNKS];
  return chunks && chunks.length > 0 ? Buffer.concat(chunks) : undefined;
}

/**
 * Copies the body's bytes as Fastify's JSON parser reads them, on marked
 * routes only: every other route parses exactly as before, and nothing is
 * buffered twice where no signature needs it. A preParsing hook sees the
 * stream before the parser (and its body limit), so the copy is what was
 * received, never a re-serialization of the parsed JSON.
 */
@Injectable()
export class RawBodyCapture implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    // Route hooks are composed when Fastify gets ready, so a root hook added now reaches routes already declared.
    fastify?.addHook('preParsing', async (request, _reply, payload) => {
      if ((request.routeOptions.config as unknown as Record<string, unknown>)[RAW_BODY_ROUTE_FLAG] !== true) return payload;
      const chunks: Buffer[] = [];
      (request as RequestWithChunks)[CHUNKS] = chunks;
      const copy = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done(null, chunk);
        },
      });
      // Errors (an aborted upload) reach the parser through the copy; the pipeline's own rejection is theirs to report.
      pipeline(payload, copy).catch(() => undefined);
      return copy;
    });
  }
}
