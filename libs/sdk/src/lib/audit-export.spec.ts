import { type ServerResponse } from 'node:http';

import { startStubServer, type StubHandler, type StubServer } from '../testing/stub.server';
import { M2MClient, type M2MClientOptions } from './m2m.client';
import {
  M2MAbortError,
  M2MInvalidResponseError,
  M2MNetworkError,
  M2MServiceUnavailableError,
  M2MTimeoutError,
  M2MUnauthorizedError,
  M2MValidationError,
} from './m2m.error';

// client.audit.exportEvents and the checkpoint calls against a real HTTP
// server with scripted answers: streaming, typed errors, retries only before
// the body, timeouts that bound stalls rather than the whole transfer.

const API_KEY = 'stub-api-key-0123456789abcdef';
const JSONLD = 'application/ld+json; charset=utf-8';
const HEAD = '{"type":"EPCISDocument","epcisBody":{"eventList":[\n';
const KEYS = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' }] };

function problem(response: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/problem+json', 'x-request-id': `req-${code}`, ...headers });
  response.end(JSON.stringify({ type: `urn:m2m-trust:problem:${code}`, title: code, status, detail: code, code, requestId: `req-${code}` }));
}

function exportHeaders(response: ServerResponse, type = JSONLD, filename = 'epcis-export-7.jsonld'): void {
  response.writeHead(200, { 'content-type': type, 'content-disposition': `attachment; filename="${filename}"` });
}

/** Reads the whole stream as text, pausing `pauseMs` before each read (a slow consumer). */
async function readAll(body: ReadableStream<Uint8Array>, pauseMs = 0): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    if (pauseMs > 0) await new Promise((done) => setTimeout(done, pauseMs));
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

describe('client.audit.exportEvents', () => {
  let stub: StubServer;
  const serve = async (handler: StubHandler): Promise<StubServer> => (stub = await startStubServer(handler));
  const client = (options: Partial<M2MClientOptions> = {}): M2MClient =>
    new M2MClient({ baseUrl: stub.url, apiKey: API_KEY, retry: { baseDelayMs: 5 }, ...options });
  afterEach(() => stub?.close());

  it('hands the body over as it arrives, before the service has finished sending it', async () => {
    let finish: () => void = () => undefined;
    await serve((_, response) => {
      exportHeaders(response);
      response.write(HEAD);
      finish = () => response.end(']}\n');
    });
    const exported = await client().audit.exportEvents({ deviceId: 'meter-1', action: ['ADD', 'DELETE'] }, { format: 'jsonld' });
    expect(exported).toMatchObject({ format: 'jsonld', contentType: JSONLD, filename: 'epcis-export-7.jsonld' });
    const reader = exported.body.getReader();
    // The first bytes are readable while the service still holds the rest back: nothing waits for the whole file.
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe(HEAD);
    finish();
    reader.releaseLock();
    expect(await readAll(exported.body)).toBe(']}\n');

    const [request] = stub.requests;
    expect(request!.url).toBe('/epcis/export?MATCH_epc=urn%3Am2m-trust%3Adevice%3Ameter-1&EQ_action=ADD%7CDELETE&format=jsonld');
    expect(request!.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(request!.headers['accept']).toBe('application/ld+json');
  });

  it('asks for CSV, drops paging, and keeps only a safe base name of the suggested file name', async () => {
    const names = ['../../etc/cron.d/evil.csv', '..', 'report $(id).csv'];
    await serve((_, response, index) => {
      exportHeaders(response, 'text/csv; charset=utf-8; header=present', names[index]);
      response.end('seq,eventID\n#m2m-manifest,a.b.c\n');
    });
    const exported = await client().audit.exportEvents({ perPage: 5 } as never, { format: 'csv' });
    expect(exported.filename).toBe('evil.csv');
    expect(await readAll(exported.body)).toBe('seq,eventID\n#m2m-manifest,a.b.c\n');
    expect(stub.requests[0]!.url).toBe('/epcis/export?format=csv');
    for (let i = 1; i < names.length; i++) {
      const unsafe = await client().audit.exportEvents({}, { format: 'csv' });
      await unsafe.body.cancel();
      expect(unsafe.filename).toBe('epcis-export.csv');
    }
  });

  it('turns refusals into typed errors before any body', async () => {
    await serve((request, response) => problem(response, request.headers['authorization'] ? 400 : 401, request.headers['authorization'] ? 'QUERY_PARAMETER_INVALID' : 'UNAUTHORIZED'));
    expect(await caught(client().audit.exportEvents({ params: { EQ_colour: 'red' } }))).toBeInstanceOf(M2MValidationError);
    expect(await caught(client({ apiKey: undefined }).audit.exportEvents())).toBeInstanceOf(M2MUnauthorizedError);
    expect(stub.requests).toHaveLength(2);
  });

  it('retries a refusal for now (503) before the body starts, like other reads', async () => {
    let calls = 0;
    await serve((_, response) => {
      if (calls++ === 0) return problem(response, 503, 'SERVICE_UNAVAILABLE', { 'retry-after': '0' });
      exportHeaders(response);
      response.end(`${HEAD}]}`);
    });
    const exported = await client().audit.exportEvents();
    expect(await readAll(exported.body)).toBe(`${HEAD}]}`);
    expect(stub.requests).toHaveLength(2);

    await stub.close();
    await serve((_, response) => problem(response, 503, 'SERVICE_UNAVAILABLE', { 'retry-after': '0' }));
    expect(await caught(client({ retry: { maxRetries: 1, baseDelayMs: 1 } }).audit.exportEvents())).toBeInstanceOf(M2MServiceUnavailableError);
    expect(stub.requests).toHaveLength(2);
  });

  it('never retries once bytes have arrived: a broken connection errors the stream', async () => {
    await serve((_, response) => {
      exportHeaders(response);
      response.write(HEAD, () => setTimeout(() => response.socket?.destroy(), 50));
    });
    const exported = await client().audit.exportEvents();
    const error = await caught(readAll(exported.body));
    expect(error).toBeInstanceOf(M2MNetworkError);
    expect(stub.requests).toHaveLength(1);
  });

  it('times out a stalled body, but not a slow reader of a body that keeps coming', async () => {
    await serve((request, response) => {
      exportHeaders(response);
      if (request.url.includes('stall')) return void response.write(HEAD);
      // Every chunk well within the timeout (a quarter of it: room for a busy machine's late timers), the whole
      // transfer (six gaps, read slowly) beyond it.
      let sent = 0;
      const timer = setInterval(() => {
        if (sent++ < 6) return void response.write(`{"n":${sent}},\n`);
        clearInterval(timer);
        response.end(']}');
      }, 250);
    });
    const stalled = await client({ timeoutMs: 1_000 }).audit.exportEvents({ params: { stall: '1' } });
    const started = performance.now();
    const error = (await caught(readAll(stalled.body))) as M2MTimeoutError;
    expect(error).toBeInstanceOf(M2MTimeoutError);
    expect(error).toMatchObject({ code: 'TIMEOUT', timeoutMs: 1_000 });
    // Near the timeout rather than never: the bound leaves room for a slow, busy machine.
    expect(performance.now() - started).toBeLessThan(10_000);

    const steady = await client({ timeoutMs: 1_000 }).audit.exportEvents();
    const text = await readAll(steady.body, 300);
    expect(text.split('\n')).toHaveLength(7);
    expect(stub.requests).toHaveLength(2);
  });

  it('stops the stream with M2MAbortError when the caller aborts mid-body', async () => {
    await serve((_, response) => {
      exportHeaders(response);
      response.write(HEAD);
    });
    const controller = new AbortController();
    const exported = await client().audit.exportEvents({}, { signal: controller.signal });
    const reader = exported.body.getReader();
    await reader.read();
    setTimeout(() => controller.abort(), 20);
    expect(await caught(reader.read())).toBeInstanceOf(M2MAbortError);
  });

  it('refuses an answer that is not an export (a proxy page)', async () => {
    await serve((_, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>login</html>');
    });
    const error = (await caught(client().audit.exportEvents())) as M2MInvalidResponseError;
    expect(error).toBeInstanceOf(M2MInvalidResponseError);
    expect(error.message).toContain('text/html');
  });
});

describe('client.audit checkpoints', () => {
  let stub: StubServer;
  afterEach(() => stub?.close());

  it('reads the key set and the latest checkpoint without sending the API key', async () => {
    stub = await startStubServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(
          request.url.endsWith('/keys') ? KEYS : { seq: 12, head: 'ab'.repeat(32), signedAt: '2026-11-21T08:00:00.000Z', kid: 'k1', jws: 'a.b.c', keys: KEYS },
        ),
      );
    });
    const client = new M2MClient({ baseUrl: stub.url, apiKey: API_KEY });
    await expect(client.audit.checkpointKeys()).resolves.toEqual(KEYS);
    await expect(client.audit.latestCheckpoint()).resolves.toMatchObject({ seq: 12, kid: 'k1', keys: KEYS });
    expect(stub.requests.map((r) => [r.url, r.headers['authorization']])).toEqual([
      ['/epcis/checkpoints/keys', undefined],
      ['/epcis/checkpoints/latest', undefined],
    ]);
  });

  it('refuses a key set that is not one', async () => {
    stub = await startStubServer((_, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [{ x: 'no kty' }] }));
    });
    expect(await caught(new M2MClient({ baseUrl: stub.url }).audit.checkpointKeys())).toBeInstanceOf(M2MInvalidResponseError);
  });
});
