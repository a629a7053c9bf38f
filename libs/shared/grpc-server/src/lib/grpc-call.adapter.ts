import { DomainError, ErrorCode, isDomainError } from '@m2m-trust/shared-domain';
import type { ApiKeyScope } from '@m2m-trust/shared-events';
import { type ApiKeyAuthenticator, presentedApiKey, requestIdFor } from '@m2m-trust/shared-platform';
import { ERROR_CODE_TRAILER, type GrpcCallContext, grpcStatusOf, REQUEST_ID_METADATA, REQUEST_ID_TRAILER } from '@m2m-trust/shared-proto';

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  type handleServerStreamingCall,
  type handleUnaryCall,
  Metadata,
  type ServerErrorResponse,
  type ServerUnaryCall,
  type ServerWritableStream,
  status,
} from '@grpc/grpc-js';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/**
 * Who may call a method: an API key holding the scope (as HTTP's @RequireScope()), `admin`: only the admin key
 * (internal calls between services), or `public`: devices, as @Public() routes.
 */
export type GrpcAccess = ApiKeyScope | 'admin' | 'public';

/** What the adapter reads of any call, unary or streaming. */
type AnyCall = Pick<ServerUnaryCall<unknown, unknown>, 'metadata' | 'getPath' | 'getPeer'>;

/**
 * Consulted once a call is authenticated, before its handler: the edge's rate
 * limits (per client address on public calls, per API key on the others).
 * Rejects with a DomainError (RATE_LIMITED) to refuse the call.
 */
export interface GrpcCallLimiter {
  admit(call: { readonly access: GrpcAccess; readonly actor: string | null; readonly peer: string }): Promise<void>;
}

/** Provided only where calls arrive from clients (the gateway): a service behind it would count the gateway's address. */
export const GRPC_CALL_LIMITER = Symbol.for('m2m-trust.GrpcCallLimiter');

/** One call as it goes through: its request id, what the controller gets, and the trailing metadata answered. */
interface Started {
  readonly requestId: string;
  readonly context: GrpcCallContext;
  readonly trailer: Metadata;
  readonly refusal: DomainError | null;
  readonly at: number;
}

/** The metadata HTTP would read as headers; a key sent more than once is ambiguous and counts as absent. */
function headersOf(metadata: Metadata): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const name of ['authorization', 'x-api-key', REQUEST_ID_METADATA]) {
    const values = metadata.get(name);
    if (values.length === 1 && typeof values[0] === 'string') headers[name] = values[0];
  }
  return headers;
}

/**
 * What every gRPC call goes through, whatever its service: the request id
 * (the caller's x-request-id or a new one), the API key and scope check, one access
 * log line, and errors turned into a status with the stable error code and
 * the request id in trailing metadata. The per-service controllers stay free
 * of transport concerns, as HTTP controllers do.
 */
export class GrpcCallAdapter {
  constructor(
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly logger: Logger,
    private readonly limiter: GrpcCallLimiter | null = null,
  ) {}

  unary<Request, Response>(access: GrpcAccess, handler: (request: Request, context: GrpcCallContext) => Promise<Response>): handleUnaryCall<Request, Response> {
    return (call, callback) => {
      void this.begin(call, access).then((started) => {
        if (started.refusal) {
          callback(this.fail(call, started, started.refusal));
          return;
        }
        this.admit(call, access, started)
          .then(() => handler(call.request, started.context))
          .then(
            (response) => {
              this.log(call, started, status.OK);
              callback(null, response, started.trailer);
            },
            (error: unknown) => callback(this.fail(call, started, error)),
          );
      });
    };
  }

  serverStream<Request, Response>(
    access: GrpcAccess,
    handler: (request: Request, context: GrpcCallContext) => AsyncIterable<Response>,
  ): handleServerStreamingCall<Request, Response> {
    return (call) => {
      void this.begin(call, access).then((started) => {
        if (started.refusal) {
          call.emit('error', this.fail(call, started, started.refusal));
          return;
        }
        void this.admit(call, access, started)
          .then(() => this.pump(call, handler(call.request, started.context)))
          .then(
            () => {
              this.log(call, started, call.cancelled ? status.CANCELLED : status.OK);
              if (!call.cancelled) call.end(started.trailer);
            },
            (error: unknown) => call.emit('error', this.fail(call, started, error)),
          );
      });
    };
  }

  /** Writes as fast as the client reads (the stream's backpressure), and stops reading the log once the client is gone. */
  private async pump<Request, Response>(call: ServerWritableStream<Request, Response>, messages: AsyncIterable<Response>): Promise<void> {
    for await (const message of messages) {
      if (call.cancelled) return;
      if (!call.write(message)) await drainedOrCancelled(call);
    }
  }

  private async admit(call: AnyCall, access: GrpcAccess, started: Started): Promise<void> {
    await this.limiter?.admit({ access, actor: started.context.actor ?? null, peer: call.getPeer() });
  }

  /** Never rejects: a refusal (or a verifier that failed) is carried in `refusal`, answered like any error. */
  private async begin(call: AnyCall, access: GrpcAccess): Promise<Started> {
    const at = performance.now();
    const headers = headersOf(call.metadata);
    // The HTTP rules themselves, read from metadata: they only look at these headers.
    const requestId = requestIdFor({ headers } as IncomingMessage);
    const trailer = new Metadata();
    trailer.set(REQUEST_ID_TRAILER, requestId);
    if (access === 'public') return { requestId, context: { requestId }, trailer, refusal: null, at };
    try {
      // The HTTP guard's rules: 401 UNAUTHENTICATED without a valid key, 403 PERMISSION_DENIED without the scope.
      const principal = await this.authenticator.authenticate(
        presentedApiKey({ headers } as FastifyRequest),
        'metadata "authorization: Bearer <key>" or "x-api-key: <key>"',
      );
      if (access === 'admin') this.authenticator.authorizeAdmin(principal);
      else this.authenticator.authorize(principal, access);
      return { requestId, context: { requestId, actor: principal.actor }, trailer, refusal: null, at };
    } catch (error) {
      const refusal = isDomainError(error) ? error : new DomainError(ErrorCode.Internal, 'The API key could not be checked');
      if (!isDomainError(error)) this.logger.error({ err: error, requestId, rpc: call.getPath() }, 'API key check failed');
      return { requestId, context: { requestId }, trailer, refusal, at };
    }
  }

  private fail(call: AnyCall, started: Started, error: unknown): ServerErrorResponse {
    if (!isDomainError(error)) this.logger.error({ err: error, requestId: started.requestId, rpc: call.getPath() }, 'unhandled error');
    const known = isDomainError(error)
      ? error
      : new DomainError(ErrorCode.Internal, 'An unexpected error occurred; the request id identifies it in the logs');
    const code = grpcStatusOf(known.code);
    started.trailer.set(ERROR_CODE_TRAILER, known.code);
    if (known.retry) started.trailer.set('retry-after', String(Math.max(1, Math.ceil(known.retry.afterSeconds))));
    this.log(call, started, code);
    return Object.assign(new Error(known.message), { code, details: known.message, metadata: started.trailer });
  }

  /** One access line per call, like HTTP's: the method and outcome, never the metadata (it carries the API key). */
  private log(call: AnyCall, started: Started, code: status): void {
    if (!this.logger.isLevelEnabled('info')) return;
    const ms = Math.round((performance.now() - started.at) * 100) / 100;
    this.logger.info({ requestId: started.requestId, rpc: call.getPath(), status: status[code], ms }, 'rpc');
  }
}

function drainedOrCancelled(call: ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise((resume) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      resume();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}
