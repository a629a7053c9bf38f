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

/** An attempt that got no HTTP answer, and whether trying again may help. */
interface AttemptFailure {
  readonly failed: M2MError;
  readonly retryable: boolean;
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

  async request(request: TransportRequest, options: CallOptions = {}): Promise<TransportResponse> {
    const url = this.resolve(request.target, request.query);
    const policy = this.config.retry;
    const maxRetries = request.retry === 'never' ? 0 : policy.maxRetries;
    for (let retry = 0; ; retry++) {
      const outcome = await this.attempt(url, request, options);
      if ('failed' in outcome) {
        if (!outcome.retryable || request.retry !== 'idempotent' || retry >= maxRetries) throw outcome.failed;
        await sleep(backoffDelay(policy, retry, undefined), options.signal);
        continue;
      }
      if (outcome.status < 400) return outcome;
      const retryAfterMs = parseRetryAfter(outcome.headers.get('retry-after'));
      const error = apiErrorFor({
        status: outcome.status,
        problem: asProblem(outcome.body),
        requestId: outcome.headers.get('x-request-id') ?? undefined,
        retryAfterMs,
      });
      const canWait = retryAfterMs === undefined || retryAfterMs <= policy.maxRetryAfterMs;
      if (!isRetryableStatus(outcome.status) || retry >= maxRetries || !canWait) throw error;
      await sleep(backoffDelay(policy, retry, retryAfterMs), options.signal);
    }
  }

  private async attempt(url: URL, request: TransportRequest, options: CallOptions): Promise<TransportResponse | AttemptFailure> {
    if (options.signal?.aborted) return { failed: new M2MAbortError(options.signal.reason), retryable: false };
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let response: Response;
    let text: string;
    try {
      const headers: Record<string, string> = { ...this.config.headers, accept: request.accept ?? 'application/json' };
      if (request.authenticated && this.config.apiKey) headers['authorization'] = `Bearer ${this.config.apiKey()}`;
      if (request.body !== undefined) headers['content-type'] = 'application/json';
      if (options.requestId) headers['x-request-id'] = options.requestId;
      // The timeout covers the body too: a service that stalls mid-answer is as unanswered as a silent one.
      response = await this.config.fetch(url, {
        method: request.method,
        headers,
        signal: controller.signal,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      });
      text = await response.text();
    } catch (error) {
      const where = url.origin + url.pathname;
      if (options.signal?.aborted) return { failed: new M2MAbortError(options.signal.reason), retryable: false };
      if (timedOut) return { failed: new M2MTimeoutError(timeoutMs, where), retryable: true };
      return { failed: new M2MNetworkError(where, error), retryable: true };
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
    return { status: response.status, headers: response.headers, url, body: parseBody(response, text) };
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
    detail: text('detail'),
    instance: text('instance'),
    code: text('code'),
    requestId: text('requestId'),
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
