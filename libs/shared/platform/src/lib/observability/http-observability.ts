import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';

import type { Metrics } from './metrics';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Reuses a well-formed X-Request-Id from the caller; otherwise makes one,
 * time-ordered (UUIDv7) so that the audit log's request-id index grows at its
 * end rather than dirtying a random page per record.
 */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : uuidv7();
}

/** A passed-through error body of unknown length or larger than this goes on unread: problem+json and OAuth errors are a few hundred bytes. */
const ERROR_BODY_READ_LIMIT = 64 * 1024;

const errorCodes = new WeakMap<FastifyRequest, string>();

/** `code` of problem+json, or `error` of an OAuth error answer (RFC 6749 section 5.2). */
function codeOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { code?: unknown; error?: unknown };
    const code = parsed.code ?? parsed.error;
    return typeof code === 'string' && code.length <= 64 ? code : null;
  } catch {
    return null;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/**
 * Notes the error code of an error answer for the access line: from the body
 * this process wrote, or from a passed-through service's answer (a stream,
 * read here and handed on as the same bytes).
 */
async function noteErrorCode(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (reply.statusCode < 400 || !String(reply.getHeader('content-type') ?? '').includes('json')) return payload;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    const code = codeOf(payload.toString());
    if (code) errorCodes.set(request, code);
    return payload;
  }
  const length = Number(reply.getHeader('content-length'));
  if (payload instanceof Readable && length > 0 && length <= ERROR_BODY_READ_LIMIT) {
    const body = await readAll(payload);
    const code = codeOf(body.toString());
    if (code) errorCodes.set(request, code);
    return body;
  }
  return payload;
}

/**
 * One access-log line and the HTTP metrics per request, and the request id
 * echoed back. Paths only: the query string and body stay out of logs; an
 * error answer's line carries its error code.
 */
export function registerHttpObservability(fastify: FastifyInstance, metrics: Metrics, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  // A callback hook with a fast path: success answers, nearly all of them, cost no promise.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode < 400) return done(null, payload);
    noteErrorCode(request, reply, payload).then(
      (body) => done(null, body),
      (error: Error) => done(error),
    );
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    metrics.httpDuration.observe({ method: request.method, route }, seconds);
    if (logger.isLevelEnabled('info')) {
      logger.info(
        {
          requestId: request.id,
          method: request.method,
          route,
          status: reply.statusCode,
          ...(errorCodes.has(request) ? { code: errorCodes.get(request) } : {}),
          ms: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request',
      );
    }
    done();
  });
}
