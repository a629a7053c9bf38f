import {
  apiErrorFor,
  M2MAbortError,
  type M2MError,
  M2MInvalidResponseError,
  M2MNetworkError,
  M2MTimeoutError,
  type ProblemDetails,
  type ProblemFieldError,
} from './m2m.error';
import { backoffDelay, isRetryableStatus, parseRetryAfter, type RetryMode, type RetryPolicy } from './retry.policy';

/** Per-call options every SDK method takes as its last argument. */
export interface CallOptions {
  /** Cancels the call, including any wait between retries. */
  readonly signal?: AbortSignal;
  /** Overrides the client's timeout for each attempt of this call. */
  readonly timeoutMs?: number;
  /** Sent as `X-Request-Id`, to find this call in the service's logs and audit events. */
  readonly requestId?: string;
}

export interface TransportConfig {
  readonly baseUrl: URL;
  /** A function rather than the string, so that logging a client or transport never prints the key. */
  readonly apiKey: (() => string) | undefined;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly fetch: typeof fetch;
  readonly headers: Readonly<Record<string, string>>;
}

export interface TransportRequest {
  readonly method: 'GET' | 'POST';
  /** A path below the base URL, or an absolute URL of the same origin (a `Link` target). */
  readonly target: string | URL;
  readonly query?: URLSearchParams;
  readonly body?: unknown;
  /** An application/x-www-form-urlencoded body (the OAuth token endpoint), instead of JSON. */
  readonly form?: Readonly<Record<string, string>>;
  /** Whether the API key goes along: device calls (challenge, verify) do not need it. */
  readonly authenticated: boolean;
  readonly retry: RetryMode;
  readonly accept?: string;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly url: URL;
  readonly body: unknown;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;

/** An attempt that got no HTTP answer, whether trying again may help, and whether the request surely never left. */
interface AttemptFailure {
  readonly failed: M2MError;
  readonly retryable: boolean;
  /** No connection was made (refused, unknown host): the service cannot have acted, so even a write may be retried. */
  readonly unsent: boolean;
}

/** Node's codes for a connection that was never made; nothing was sent. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

function neverSent(error: unknown): boolean {
  for (let cause = error; typeof cause === 'object' && cause !== null; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && UNSENT_CODES.has(code)) return true;
  }
  return false;
}

/** A body as the caller receives it: parsed whole, or handed over as a stream. */
type BodyMode = 'buffered' | 'streamed';

/** What one attempt got: an HTTP answer (its body read whole unless streamed and successful), or no answer. */
type Attempt =
  | { readonly response: TransportResponse; readonly stream?: undefined }
  | { readonly response: Omit<TransportResponse, 'body'>; readonly stream: ReadableStream<Uint8Array> }
  | AttemptFailure;

/** A successful answer whose body has not been read: the caller reads it as it arrives. */
export interface StreamedResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly url: URL;
  readonly body: ReadableStream<Uint8Array>;
}

/**
 * Sends requests with fetch: base URL and API key, a timeout per attempt,
 * problem+json into typed errors, and retries with backoff where the
 * operation's `RetryMode` makes them safe.
 */
export class HttpTransport {
  constructor(private readonly config: TransportConfig) {}

  /** Resolves a path (relative to the base URL's path) or a same-origin URL. */
  resolve(target: string | URL, query?: URLSearchParams): URL {
    const base = this.config.baseUrl;
    const url =
      target instanceof URL
        ? new URL(target.href)
        : new URL(`${base.pathname.replace(/\/$/, '')}/${target.replace(/^\//, '')}`, base);
    if (url.origin !== base.origin) {
      // Never send the API key to another origin, whatever a response points at.
      throw new M2MInvalidResponseError(`Refusing to follow ${url.origin}: not the configured service ${base.origin}`);
    }
    if (query) for (const [name, value] of query) url.searchParams.append(name, value);
    return url;
  }

  /** A request whose answer is read whole; the timeout covers the body too. */
  async request(request: TransportRequest, options: CallOptions = {}): Promise<TransportResponse> {
    const outcome = await this.send(request, options, 'buffered');
    if (outcome.stream !== undefined) throw new Error('unreachable: a buffered request answered with a stream');
    return outcome.response;
  }

  /**
   * A request whose successful answer is handed over unread, for bodies too
   * large to hold (exports). Retries happen only before the answer's headers
   * arrive; once the body flows it is never retried, since the caller may
   * already have used part of it. `timeoutMs` then bounds each wait for more
   * of the body rather than the whole transfer, so a long, steady download
   * is not cut off but a stalled one is; the stream fails with the SDK's
   * typed errors (M2MTimeoutError, M2MNetworkError, M2MAbortError).
   */
  async stream(request: TransportRequest, options: CallOptions = {}): Promise<StreamedResponse> {
    const outcome = await this.send(request, options, 'streamed');
    if (outcome.stream === undefined) throw new Error('unreachable: a streamed request answered without a stream');
    return { ...outcome.response, body: outcome.stream };
  }

  private async send(request: TransportRequest, options: CallOptions, mode: BodyMode): Promise<Exclude<Attempt, AttemptFailure>> {
    const url = this.resolve(request.target, request.query);
    const policy = this.config.retry;
    const maxRetries = request.retry === 'never' ? 0 : policy.maxRetries;
    for (let retry = 0; ; retry++) {
      const outcome = await this.attempt(url, request, options, mode);
      if ('failed' in outcome) {
        const safe = request.retry === 'idempotent' || (request.retry === 'refused' && outcome.unsent);
        if (!outcome.retryable || !safe || retry >= maxRetries) throw outcome.failed;
        await sleep(backoffDelay(policy, retry, undefined), options.signal);
        continue;
      }
      const { response } = outcome;
      if (response.status < 400) return outcome;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const error = apiErrorFor({
        status: response.status,
        problem: asProblem('body' in response ? response.body : null),
        requestId: response.headers.get('x-request-id') ?? undefined,
        retryAfterMs,
      });
      const canWait = retryAfterMs === undefined || retryAfterMs <= policy.maxRetryAfterMs;
      if (!isRetryableStatus(response.status) || retry >= maxRetries || !canWait) throw error;
      await sleep(backoffDelay(policy, retry, retryAfterMs), options.signal);
    }
  }

  private async attempt(url: URL, request: TransportRequest, options: CallOptions, mode: BodyMode): Promise<Attempt> {
    if (options.signal?.aborted) return { failed: new M2MAbortError(options.signal.reason), retryable: false, unsent: true };
    const where = url.origin + url.pathname;
    const call = new AttemptControl(options.signal, options.timeoutMs ?? this.config.timeoutMs, where);
    let handedOver = false;
    let response: Response;
    let text: string;
    try {
      const headers: Record<string, string> = { ...this.config.headers, accept: request.accept ?? 'application/json' };
      if (request.authenticated && this.config.apiKey) headers['authorization'] = `Bearer ${this.config.apiKey()}`;
      if (request.body !== undefined) headers['content-type'] = 'application/json';
      if (request.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      if (options.requestId) headers['x-request-id'] = options.requestId;
      response = await this.config.fetch(url, {
        method: request.method,
        headers,
        signal: call.signal,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        ...(request.form === undefined ? {} : { body: new URLSearchParams(request.form).toString() }),
      });
      if (mode === 'streamed' && response.status < 400) {
        handedOver = true;
        const body = response.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
        return { response: { status: response.status, headers: response.headers, url }, stream: call.watch(body) };
      }
      // The timeout covers the body too: a service that stalls mid-answer is as unanswered as a silent one.
      text = await response.text();
    } catch (error) {
      return { failed: call.failure(error), retryable: !options.signal?.aborted, unsent: neverSent(error) };
    } finally {
      if (!handedOver) call.release();
    }
    return { response: { status: response.status, headers: response.headers, url, body: parseBody(response, text) } };
  }
}

/**
 * One attempt's cancellation: the caller's signal, and a timer that aborts
 * the fetch when the service keeps us waiting too long. For a streamed body
 * the timer runs only while a read waits on the service, never while the
 * caller is busy with what it already got.
 */
class AttemptControl {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  private readonly onCallerAbort = (): void => this.controller.abort();

  constructor(
    private readonly caller: AbortSignal | undefined,
    private readonly timeoutMs: number,
    private readonly where: string,
  ) {
    caller?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the request or its body failed, as the SDK's error for it. */
  failure(error: unknown): M2MError {
    if (this.caller?.aborted) return new M2MAbortError(this.caller.reason);
    if (this.timedOut) return new M2MTimeoutError(this.timeoutMs, this.where);
    return new M2MNetworkError(this.where, error);
  }

  release(): void {
    this.disarm();
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }

  /** The body, read on demand, each read bounded by the timeout, its failures typed. */
  watch(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    this.disarm();
    const reader = body.getReader();
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          this.arm();
          try {
            const { done, value } = await reader.read();
            this.disarm();
            if (done) {
              this.release();
              controller.close();
            } else {
              controller.enqueue(value);
            }
          } catch (error) {
            const failure = this.failure(error);
            this.release();
            controller.error(failure);
          }
        },
        cancel: async (reason) => {
          this.release();
          await reader.cancel(reason);
        },
      },
      // Pull only when the caller reads: the service's pace is the caller's (backpressure), and nothing piles up here.
      { highWaterMark: 0 },
    );
  }

  private arm(): void {
    this.disarm();
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.timeoutMs);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function parseBody(response: Response, text: string): unknown {
  const type = response.headers.get('content-type') ?? '';
  if (!JSON_TYPE.test(type) || text === '') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new M2MInvalidResponseError(`The service answered ${response.status} with a body that is not JSON`, {
      status: response.status,
      requestId: response.headers.get('x-request-id') ?? undefined,
    });
  }
}

function asProblem(body: unknown): ProblemDetails | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const record = body as Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof record[key] === 'string' ? record[key] : undefined);
  const errors = Array.isArray(record['errors'])
    ? record['errors'].filter(
        (entry: unknown): entry is ProblemFieldError =>
          typeof entry === 'object' &&
          entry !== null &&
          typeof (entry as Record<string, unknown>)['path'] === 'string' &&
          typeof (entry as Record<string, unknown>)['message'] === 'string',
      )
    : undefined;
  return {
    type: text('type'),
    title: text('title'),
    status: typeof record['status'] === 'number' ? record['status'] : undefined,
    // problem+json carries `code` and `detail`; the OAuth endpoints answer RFC 6749's `error` and `error_description`.
    detail: text('detail') ?? text('error_description'),
    instance: text('instance'),
    code: text('code') ?? text('error'),
    requestId: text('requestId') ?? text('request_id'),
    errors,
  };
}

/** Waits, or rejects with M2MAbortError as soon as the caller aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new M2MAbortError(signal.reason));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new M2MAbortError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
