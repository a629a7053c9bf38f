import { type ServerResponse } from 'node:http';
import { inspect } from 'node:util';

import { type RecordedRequest, startStubServer, type StubHandler, type StubServer } from '../testing/stub.server';
import { M2MClient, type M2MClientOptions } from './m2m.client';
import {
  isM2MError,
  M2MAbortError,
  M2MApiError,
  M2MConflictError,
  M2MError,
  M2MInvalidResponseError,
  M2MNetworkError,
  M2MNotFoundError,
  M2MRateLimitError,
  M2MServiceUnavailableError,
  M2MTimeoutError,
  M2MUnauthorizedError,
  M2MValidationError,
} from './m2m.error';

// The client against a real HTTP server with scripted answers (no fetch mocks):
// error mapping, retries and their limits, timeouts, headers, paging.

const API_KEY = 'stub-api-key-0123456789abcdef';
const CHALLENGE_ID = '0f8c1c5e-3f5a-4c1e-9a4e-6d2b8f7a1c01';
const SIGNATURE = 'ab'.repeat(64);
const DEVICE = {
  deviceId: 'scanner-1',
  publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  keyThumbprint: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
  label: 'Scanner',
  metadata: {},
  status: 'active',
  createdAt: '2026-11-21T08:00:00.000Z',
};

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const type = headers['content-type'] ?? 'application/json';
  response.writeHead(status, { 'content-type': type, ...headers });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function problem(response: ServerResponse, status: number, code: string, detail: string, headers: Record<string, string> = {}): void {
  send(
    response,
    status,
    { type: `urn:m2m-trust:problem:${code.toLowerCase()}`, title: code, status, detail, instance: '/x', code, requestId: `req-${code}` },
    { 'content-type': 'application/problem+json; charset=utf-8', 'x-request-id': `req-${code}`, ...headers },
  );
}

/** Answers with each handler in turn; the last one answers every request after. */
const inSequence =
  (...handlers: StubHandler[]): StubHandler =>
  (request, response, index) =>
    (handlers[Math.min(index, handlers.length - 1)] as StubHandler)(request, response, index);

const ok: StubHandler = (_, response) => send(response, 200, DEVICE);
const dropConnection: StubHandler = (_, response) => response.socket?.destroy();
const neverAnswer: StubHandler = () => undefined;
const gapMs = (requests: readonly RecordedRequest[], i: number): number => requests[i + 1]!.at - requests[i]!.at;

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('M2MClient over HTTP', () => {
  let stub: StubServer;
  const serve = async (handler: StubHandler): Promise<StubServer> => (stub = await startStubServer(handler));
  const client = (options: Partial<M2MClientOptions> = {}): M2MClient =>
    new M2MClient({ baseUrl: stub.url, apiKey: API_KEY, retry: { baseDelayMs: 5 }, ...options });
  const verify = (c: M2MClient) => c.m2m.verify({ challengeId: CHALLENGE_ID, signature: SIGNATURE });

  afterEach(() => stub?.close());

  describe('typed errors from problem+json', () => {
    it.each([
      [401, 'UNAUTHORIZED', M2MUnauthorizedError],
      [404, 'DEVICE_NOT_FOUND', M2MNotFoundError],
      [409, 'DEVICE_EXISTS', M2MConflictError],
      [409, 'DUPLICATE_PUBLIC_KEY', M2MConflictError],
      [409, 'DEVICE_REVOKED', M2MConflictError],
      [400, 'VALIDATION_FAILED', M2MValidationError],
    ] as const)('%i %s', async (status, code, type) => {
      await serve((_, response) => problem(response, status, code, `because ${code}`));
      const error = await caught(client().m2m.getDevice('scanner-1'));
      expect(error).toBeInstanceOf(type);
      expect(error).toBeInstanceOf(M2MApiError);
      expect(error).toBeInstanceOf(M2MError);
      expect(isM2MError(error)).toBe(true);
      expect(error).toMatchObject({ code, status, requestId: `req-${code}`, detail: `because ${code}`, title: code });
      expect(stub.requests).toHaveLength(1);
    });

    it('keeps the field errors of a validation problem', async () => {
      await serve((_, response) =>
        send(
          response,
          400,
          { status: 400, code: 'VALIDATION_FAILED', detail: 'bad', requestId: 'r1', errors: [{ path: '/deviceId', message: 'pattern' }] },
          { 'content-type': 'application/problem+json' },
        ),
      );
      const error = (await caught(client().m2m.registerDevice({ deviceId: '-', publicKey: 'x' }))) as M2MValidationError;
      expect(error.errors).toEqual([{ path: '/deviceId', message: 'pattern' }]);
    });

    it('reports an answer that is not problem+json by its status and request id header', async () => {
      await serve((_, response) => send(response, 502, '<html>Bad gateway</html>', { 'content-type': 'text/html', 'x-request-id': 'edge-7' }));
      const error = (await caught(client().m2m.getDevice('scanner-1'))) as M2MApiError;
      expect(error).toBeInstanceOf(M2MApiError);
      expect(error).toMatchObject({ code: 'HTTP_502', status: 502, requestId: 'edge-7' });
    });

    it('refuses a verify answer whose `verified` is not a boolean', async () => {
      await serve((_, response) => send(response, 200, { verified: 'false', reason: 'SIGNATURE_INVALID' }));
      expect(await caught(verify(client()))).toBeInstanceOf(M2MInvalidResponseError);
    });
  });

  describe('retries', () => {
    it('retries a 429 on a read after the Retry-After it was given', async () => {
      await serve(inSequence((_, response) => problem(response, 429, 'RATE_LIMITED', 'slow down', { 'retry-after': '1' }), ok));
      await expect(client().m2m.getDevice('scanner-1')).resolves.toMatchObject({ deviceId: 'scanner-1' });
      expect(stub.requests).toHaveLength(2);
      expect(gapMs(stub.requests, 0)).toBeGreaterThanOrEqual(990);
    });

    it('retries a 503 on a write, which the service refused before doing anything, after its Retry-After', async () => {
      await serve(
        inSequence(
          (_, response) => problem(response, 503, 'SERVICE_UNAVAILABLE', 'starting', { 'retry-after': '1' }),
          (_, response) => send(response, 201, DEVICE),
        ),
      );
      await expect(client().m2m.registerDevice({ deviceId: 'scanner-1', publicKey: DEVICE.publicKey })).resolves.toMatchObject(DEVICE);
      expect(stub.requests).toHaveLength(2);
      expect(gapMs(stub.requests, 0)).toBeGreaterThanOrEqual(990);
      expect(stub.requests[1]!.body).toBe(stub.requests[0]!.body);
    });

    it('backs off between retries without Retry-After and gives up after maxRetries', async () => {
      await serve((_, response) => problem(response, 503, 'SERVICE_UNAVAILABLE', 'down'));
      const error = await caught(client({ retry: { maxRetries: 2, baseDelayMs: 5 } }).m2m.listDevices());
      expect(error).toBeInstanceOf(M2MServiceUnavailableError);
      expect(stub.requests).toHaveLength(3);
    });

    it('does not wait for a Retry-After beyond maxRetryAfterMs, and says how long was asked', async () => {
      await serve((_, response) => problem(response, 429, 'RATE_LIMITED', 'later', { 'retry-after': '120' }));
      const error = (await caught(client().m2m.listDevices())) as M2MRateLimitError;
      expect(error).toBeInstanceOf(M2MRateLimitError);
      expect(error.retryAfterMs).toBe(120_000);
      expect(stub.requests).toHaveLength(1);
    });

    it('retries a read whose connection dropped, but not a write', async () => {
      await serve(inSequence(dropConnection, ok));
      await expect(client().m2m.getDevice('scanner-1')).resolves.toMatchObject({ deviceId: 'scanner-1' });
      expect(stub.requests).toHaveLength(2);
      await stub.close();

      await serve(inSequence(dropConnection, ok));
      expect(await caught(client().m2m.registerDevice({ deviceId: 'scanner-1', publicKey: DEVICE.publicKey }))).toBeInstanceOf(M2MNetworkError);
      expect(stub.requests).toHaveLength(1);
    });

    it('retries a write whose connection was refused, where nothing was sent; never a verify', async () => {
      await serve(ok);
      const deadUrl = stub.url;
      await stub.close();
      let attempts = 0;
      const counting: typeof fetch = (input, init) => {
        attempts++;
        return globalThis.fetch(input, init);
      };
      const dead = new M2MClient({ baseUrl: deadUrl, retry: { baseDelayMs: 5, maxRetries: 2 }, fetch: counting });
      expect(await caught(dead.m2m.registerDevice({ deviceId: 'scanner-1', publicKey: DEVICE.publicKey }))).toBeInstanceOf(M2MNetworkError);
      expect(attempts).toBe(3);
      attempts = 0;
      expect(await caught(verify(dead))).toBeInstanceOf(M2MNetworkError);
      expect(attempts).toBe(1);
    });

    it('does not retry client errors', async () => {
      await serve((_, response) => problem(response, 404, 'DEVICE_NOT_FOUND', 'no'));
      await caught(client().m2m.getDevice('nope'));
      expect(stub.requests).toHaveLength(1);
    });

    it('can be turned off', async () => {
      await serve((_, response) => problem(response, 503, 'SERVICE_UNAVAILABLE', 'down', { 'retry-after': '0' }));
      await caught(client({ retry: false }).m2m.listDevices());
      expect(stub.requests).toHaveLength(1);
    });
  });

  describe('verify is never retried: the first attempt consumes the challenge', () => {
    it.each([
      ['503 with Retry-After', ((_, response) => problem(response, 503, 'SERVICE_UNAVAILABLE', 'down', { 'retry-after': '0' })) as StubHandler, M2MServiceUnavailableError],
      ['429 with Retry-After', ((_, response) => problem(response, 429, 'RATE_LIMITED', 'slow', { 'retry-after': '0' })) as StubHandler, M2MRateLimitError],
      ['a dropped connection', dropConnection, M2MNetworkError],
    ] as const)('after %s', async (_, handler, type) => {
      await serve(inSequence(handler, (__, response) => send(response, 200, { verified: true, deviceId: 'scanner-1', verifiedAt: DEVICE.createdAt })));
      expect(await caught(verify(client({ retry: { maxRetries: 5, baseDelayMs: 1 } })))).toBeInstanceOf(type);
      expect(stub.requests).toHaveLength(1);
    });

    it('after a timeout', async () => {
      await serve(neverAnswer);
      expect(await caught(verify(client({ timeoutMs: 100, retry: { maxRetries: 5, baseDelayMs: 1 } })))).toBeInstanceOf(M2MTimeoutError);
      expect(stub.requests).toHaveLength(1);
    });
  });

  describe('timeouts and cancellation', () => {
    it('gives up on a silent service after timeoutMs', async () => {
      await serve(neverAnswer);
      const started = performance.now();
      const error = (await caught(client({ timeoutMs: 150, retry: false }).m2m.listDevices())) as M2MTimeoutError;
      expect(error).toBeInstanceOf(M2MTimeoutError);
      expect(error).toMatchObject({ code: 'TIMEOUT', timeoutMs: 150 });
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      // Gave up near timeoutMs rather than ever (or after 150 s): the bound leaves room for a slow, busy machine.
      expect(performance.now() - started).toBeLessThan(10_000);
    });

    it('retries a read that timed out, with a per-call timeout', async () => {
      await serve(inSequence(neverAnswer, ok));
      // The client's own timeout outlasts the test: the retry comes only because the per-call one holds. A second
      // long enough for the answer to the retry, on a slow machine too.
      await expect(client({ timeoutMs: 600_000 }).m2m.getDevice('scanner-1', { timeoutMs: 1_000 })).resolves.toMatchObject({ deviceId: 'scanner-1' });
      expect(stub.requests).toHaveLength(2);
    });

    it('stops waiting between retries when the caller aborts', async () => {
      await serve((_, response) => problem(response, 503, 'SERVICE_UNAVAILABLE', 'down', { 'retry-after': '30' }));
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = performance.now();
      expect(await caught(client().m2m.listDevices({}, { signal: controller.signal }))).toBeInstanceOf(M2MAbortError);
      // Well before the 30 s the service asked to wait, with room for a slow, busy machine.
      expect(performance.now() - started).toBeLessThan(15_000);
      expect(stub.requests).toHaveLength(1);
    });
  });

  describe('options', () => {
    it.each([undefined, '', '  '])('refuses to build a client without a base URL (%p), naming the option', (baseUrl) => {
      expect(() => new M2MClient({ baseUrl: baseUrl as unknown as string })).toThrow(
        new TypeError('baseUrl is required: the URL where the m2m-trust service answers, e.g. https://auth.example.com'),
      );
      expect(() => new M2MClient(undefined as unknown as M2MClientOptions)).toThrow(/^baseUrl is required/);
    });

    it('refuses a base URL that is not an absolute http(s) URL', () => {
      expect(() => new M2MClient({ baseUrl: 'auth.example.com' })).toThrow(/^baseUrl must be an absolute http\(s\) URL, got "auth.example.com"$/);
      expect(() => new M2MClient({ baseUrl: 'ftp://auth.example.com' })).toThrow(/^baseUrl must be an http\(s\) URL/);
    });
  });

  describe('requests', () => {
    it('sends the API key to management calls only, and the caller request id', async () => {
      await serve((request, response) => {
        if (request.url.startsWith('/v1/challenges/verify')) return send(response, 200, { verified: false, reason: 'SIGNATURE_INVALID' });
        if (request.url.startsWith('/v1/challenges')) {
          return send(response, 201, { id: CHALLENGE_ID, deviceId: 'scanner-1', nonce: 'n', algorithm: 'Ed25519', expiresAt: DEVICE.createdAt });
        }
        return send(response, 200, { items: [], nextCursor: null });
      });
      const c = client();
      await c.m2m.listDevices({ status: 'revoked', limit: 5 }, { requestId: 'trace-42' });
      await c.m2m.initiateChallenge({ deviceId: 'scanner-1' });
      await expect(verify(c)).resolves.toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
      const [list, challenge, verified] = stub.requests;
      expect(list).toMatchObject({ method: 'GET', url: '/v1/devices?status=revoked&limit=5' });
      expect(list!.headers['authorization']).toBe(`Bearer ${API_KEY}`);
      expect(list!.headers['x-request-id']).toBe('trace-42');
      expect(challenge!.headers['authorization']).toBeUndefined();
      expect(verified!.headers['authorization']).toBeUndefined();
      expect(JSON.parse(verified!.body)).toEqual({ challengeId: CHALLENGE_ID, signature: SIGNATURE });
    });

    it('keeps a path prefix of the base URL and escapes device ids', async () => {
      await serve(ok);
      await client({ baseUrl: `${stub.url}/m2m/` }).m2m.getDevice('meter:eu/7');
      expect(stub.requests[0]!.url).toBe('/m2m/v1/devices/meter%3Aeu%2F7');
    });

    it('never shows the API key when a client is logged', async () => {
      await serve(ok);
      expect(inspect(client(), { depth: 10, showHidden: true })).not.toContain(API_KEY);
      expect(JSON.stringify(client())).not.toContain(API_KEY);
    });
  });

  describe('paging', () => {
    it('iterates every device across pages', async () => {
      const all = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ ...DEVICE, deviceId: id }));
      await serve((request, response) => {
        const query = new URL(request.url, stub.url).searchParams;
        const start = query.get('cursor') ? Number(query.get('cursor')) : 0;
        const end = start + Number(query.get('limit'));
        send(response, 200, { items: all.slice(start, end), nextCursor: end < all.length ? String(end) : null });
      });
      const ids: string[] = [];
      for await (const device of client().m2m.iterateDevices({ pageSize: 2 })) ids.push(device.deviceId);
      expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(stub.requests.map((r) => r.url)).toEqual(['/v1/devices?limit=2', '/v1/devices?limit=2&cursor=2', '/v1/devices?limit=2&cursor=4']);
    });

    it('follows the relative Link of each audit page to the last', async () => {
      const events = [1, 2, 3].map((n) => ({ type: 'ObjectEvent', eventTime: `2026-11-21T08:00:0${n}.000Z`, action: 'ADD' }));
      await serve((request, response) => {
        const token = new URL(request.url, stub.url).searchParams.get('nextPageToken');
        const index = token === null ? 0 : Number(token);
        const headers: Record<string, string> = { 'content-type': 'application/ld+json' };
        if (index < 2) headers['link'] = `</epcis/events?perPage=1&EQ_action=ADD&nextPageToken=${index + 1}>; rel="next"`;
        send(response, 200, { type: 'EPCISQueryDocument', epcisBody: { queryResults: { resultsBody: { eventList: [events[index]] } } } }, headers);
      });
      const seen = [];
      for await (const event of client().audit.iterateEvents({ action: 'ADD', perPage: 1 })) seen.push(event);
      expect(seen).toEqual(events);
      expect(stub.requests.map((r) => r.url)).toEqual([
        '/epcis/events?EQ_action=ADD&perPage=1',
        '/epcis/events?perPage=1&EQ_action=ADD&nextPageToken=1',
        '/epcis/events?perPage=1&EQ_action=ADD&nextPageToken=2',
      ]);
      expect(stub.requests.every((r) => r.headers['authorization'] === `Bearer ${API_KEY}`)).toBe(true);
    });

    it('refuses to follow a Link to another origin, which would receive the API key', async () => {
      await serve((_, response) =>
        send(
          response,
          200,
          { type: 'EPCISQueryDocument', epcisBody: { queryResults: { resultsBody: { eventList: [] } } } },
          { 'content-type': 'application/ld+json', link: '<https://elsewhere.example/epcis/events?nextPageToken=1>; rel="next"' },
        ),
      );
      const iterate = async () => {
        for await (const event of client().audit.iterateEvents()) void event;
      };
      expect(await caught(iterate())).toBeInstanceOf(M2MInvalidResponseError);
      expect(stub.requests).toHaveLength(1);
    });
  });
});
