import { ApiKeysApi } from './api-keys.api';
import { AuditApi } from './audit.api';
import { HttpTransport } from './http.transport';
import { M2MApi } from './m2m.api';
import { type RetryOptions, retryPolicyOf } from './retry.policy';

export interface M2MClientOptions {
  /** Where the service answers, e.g. `https://auth.example.com` (a path prefix is kept). */
  readonly baseUrl: string | URL;
  /** The operator API key for device management and the audit log. Devices authenticating need none. */
  readonly apiKey?: string;
  /**
   * The service audience a device expects in every challenge (the service's
   * `M2M_AUDIENCE`). Defaults to the origin of `baseUrl`, which is what the
   * service uses when M2M_AUDIENCE is unset and it is reached directly.
   */
  readonly audience?: string;
  /** Per attempt, in milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** Retries for 429/503 and lost answers of safe calls; `false` turns them off. `verify` is never retried. */
  readonly retry?: RetryOptions | false;
  /** A fetch implementation; defaults to the global one (Node 20+, browsers, edge runtimes). */
  readonly fetch?: typeof fetch;
  /** Sent with every request (never `authorization`: use `apiKey`). */
  readonly headers?: Readonly<Record<string, string>>;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The m2m-trust client.
 *
 * ```ts
 * const client = new M2MClient({ baseUrl, apiKey });
 * await client.m2m.registerDevice({ deviceId, publicKey });
 * const result = await client.m2m.authenticate({ deviceId, privateKey });
 * for await (const event of client.audit.iterateEvents({ deviceId })) …
 * ```
 */
export class M2MClient {
  /** Devices and challenge-response. */
  readonly m2m: M2MApi;
  /** The EPCIS 2.0 audit log. */
  readonly audit: AuditApi;
  /** API keys with scopes. */
  readonly apiKeys: ApiKeysApi;

  constructor(options: M2MClientOptions) {
    const baseUrl = baseUrlOf(options?.baseUrl);
    if (baseUrl.protocol !== 'https:' && baseUrl.protocol !== 'http:') throw new TypeError(`baseUrl must be an http(s) URL, not ${baseUrl.protocol}`);
    if (baseUrl.username || baseUrl.password) throw new TypeError('baseUrl must not carry credentials; pass apiKey');
    baseUrl.search = '';
    baseUrl.hash = '';
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number');
    if (typeof (options.fetch ?? globalThis.fetch) !== 'function') throw new TypeError('No fetch implementation: use Node 20+ or pass options.fetch');
    const headers = Object.fromEntries(Object.entries(options.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization'));
    const apiKey = options.apiKey;
    const http = new HttpTransport({
      baseUrl,
      apiKey: apiKey ? () => apiKey : undefined,
      timeoutMs,
      retry: retryPolicyOf(options.retry),
      // Called detached from globalThis, some runtimes' fetch throws "Illegal invocation".
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      headers,
    });
    this.m2m = new M2MApi(http, options.audience ?? baseUrl.origin, http.resolve('oauth2/token').href);
    this.audit = new AuditApi(http);
    this.apiKeys = new ApiKeysApi(http);
  }
}

/** The base URL, or a TypeError that names the option (a JavaScript caller may pass `process.env.M2M_URL` unset). */
function baseUrlOf(value: string | URL | undefined): URL {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    throw new TypeError('baseUrl is required: the URL where the m2m-trust service answers, e.g. https://auth.example.com');
  }
  try {
    return new URL(value);
  } catch {
    throw new TypeError(`baseUrl must be an absolute http(s) URL, got ${JSON.stringify(String(value))}`);
  }
}
