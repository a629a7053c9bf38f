import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';

import { type Api, authenticate, clientAssertion, type Device, newDevice } from './support/client';
import { type RunningServer, startServerWithDevice, WITHOUT_ABUSE_LIMITS } from './support/server';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
}

/** One request as bytes on a socket, read to the end: what Node's own parser refuses never reaches fetch's shape. */
function raw(url: string, request: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // Keep-alive answers do not close the socket: stop once the announced body is in.
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && Buffer.byteLength(text.slice(end + 4)) >= Number(length)) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const body = rest.join('\r\n\r\n');
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: body ? (JSON.parse(body) as Record<string, unknown>) : {} });
    });
  });
}

/** What promtool says of the exposition text (exit code, output); null when it is not installed. */
function promtool(text: string): Promise<{ code: number | null; output: string } | null> {
  return new Promise((resolve) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

describe('HTTP semantics the standards define', () => {
  let server: RunningServer;
  let api: Api;
  let device: Device;

  // Many token requests from one address and one device at once: the limits are not what is tested here.
  beforeAll(async () => ({ server, api, device } = await startServerWithDevice('semantics', WITHOUT_ABUSE_LIMITS)));
  afterAll(() => server.stop());

  const assertion = () => clientAssertion(device, server.url);
  const token = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  const grant = async (clientAssertion: string, headers: Record<string, string> = {}) =>
    token({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: clientAssertion }, headers);

  /** The challenges as oauth4webapi (a standard OAuth client library) parses them from a 401 it was handed. */
  const challengesOf = async (path: string, accessToken: string): Promise<oauth.WWWAuthenticateChallenge[]> => {
    try {
      await oauth.protectedResourceRequest(accessToken, 'GET', new URL(path, server.url), new Headers(), null, { [oauth.allowInsecureRequests]: true });
    } catch (error) {
      if (error instanceof oauth.WWWAuthenticateChallengeError) return error.cause;
      throw error;
    }
    throw new Error(`${path} answered without a challenge`);
  };

  describe('/metrics', () => {
    it('passes promtool check metrics (Prometheus\'s own linter) after traffic of every kind', async () => {
      await authenticate(api, device);
      await api.get('/v1/devices/nobody');
      await fetch(`${server.url}/v1/devices`);
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('m2m_http_requests_total{');
      const checked = await promtool(text);
      if (checked === null) throw new Error('promtool is not on PATH: install Debian\'s "prometheus" package (.ci/run does)');
      expect(checked).toEqual({ code: 0, output: '' });
    });
  });

  describe('errors raised before a route runs', () => {
    const host = () => new URL(server.url).host;

    it.each([
      ['an undecodable URL', (h: string) => `GET /v1/devices/%E0%A4%A HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n\r\n`, 400, 'MALFORMED_URL'],
      ['a path parameter past the longest any route takes', (h: string) => `GET /v1/devices/${'a'.repeat(300)} HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n\r\n`, 414, 'URI_TOO_LONG'],
      ['oversized header fields', (h: string) => `GET /health HTTP/1.1\r\nHost: ${h}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADER_FIELDS_TOO_LARGE'],
      ['TRACE on a resource', (h: string) => `TRACE /v1/devices HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n\r\n`, 405, 'METHOD_NOT_ALLOWED'],
      ['a method the resource does not answer', (h: string) => `PUT /v1/devices/some-device HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n\r\n`, 405, 'METHOD_NOT_ALLOWED'],
      ['CONNECT', (h: string) => `CONNECT example.test:443 HTTP/1.1\r\nHost: ${h}\r\n\r\n`, 501, 'METHOD_NOT_IMPLEMENTED'],
      ['an unknown method', (h: string) => `BREW /v1/devices HTTP/1.1\r\nHost: ${h}\r\n\r\n`, 501, 'METHOD_NOT_IMPLEMENTED'],
      ['a header line that is not a field', (h: string) => `GET /health HTTP/1.1\r\nHost: ${h}\r\nnot a field\r\n\r\n`, 400, 'MALFORMED_REQUEST'],
    ])('answers %s with problem+json and a stable code', async (_, request, status, code) => {
      const answer = await raw(server.url, request(host()));
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(answer.body).toMatchObject({ status, code, type: `urn:m2m-trust:problem:${code.toLowerCase().replace(/_/g, '-')}`, requestId: expect.any(String) });
      // The refused bytes are not echoed back.
      expect(JSON.stringify(answer.body)).not.toContain('aaaaaaaaaaaaaaaaaaaa');
    });

    it.each([
      ['PUT', '/v1/devices', 'GET, HEAD, POST'],
      ['PATCH', '/v1/devices/some-device', 'GET, HEAD'],
      ['DELETE', '/epcis/events', 'GET, HEAD, POST, OPTIONS'],
      ['PATCH', '/.well-known/jwks.json', 'GET, HEAD'],
    ])('answers %s %s with 405 and the Allow header RFC 9110 requires', async (method, path, allow) => {
      const answer = await fetch(`${server.url}${path}`, { method, headers: { 'x-api-key': server.adminKey } });
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe(allow);
      // Each method Allow names is one the path answers with something other than 405.
      for (const named of allow.split(', ').filter((m) => m !== 'POST' && m !== 'DELETE')) {
        expect((await fetch(`${server.url}${path}`, { method: named, headers: { 'x-api-key': server.adminKey } })).status).not.toBe(405);
      }
      expect(await answer.json()).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
    });

    it('keeps an unknown path 404 whatever the method', async () => {
      for (const method of ['GET', 'PUT', 'PATCH']) {
        const answer = await fetch(`${server.url}/v1/nothing-here`, { method });
        expect(answer.status).toBe(404);
        expect(answer.headers.get('allow')).toBeNull();
      }
    });

    it('keeps serving after each of them', async () => {
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    });
  });

  describe('WWW-Authenticate on every 401', () => {
    it('operator routes: the ApiKey scheme and RFC 6750 Bearer, with invalid_token when a key was sent and refused', async () => {
      const none = await fetch(`${server.url}/v1/devices`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('ApiKey realm="m2m-trust", header="X-API-Key", Bearer realm="m2m-trust"');
      const wrongHeader = await fetch(`${server.url}/v1/devices`, { headers: { 'x-api-key': 'not-a-key' } });
      expect([wrongHeader.status, wrongHeader.headers.get('www-authenticate')]).toEqual([401, 'ApiKey realm="m2m-trust", header="X-API-Key", Bearer realm="m2m-trust"']);

      expect(await challengesOf('/v1/devices', 'not-a-key')).toEqual([
        { scheme: 'apikey', parameters: { realm: 'm2m-trust', header: 'X-API-Key' } },
        { scheme: 'bearer', parameters: { realm: 'm2m-trust', error: 'invalid_token' } },
      ]);
    });

    it('operator routes: a bearer key without the scope is told insufficient_scope and which scope (RFC 6750 section 3.1)', async () => {
      const created = await api.post<{ key: string }>('/v1/api-keys', { name: 'reader', scopes: ['devices:read'] });
      expect(created.status).toBe(201);
      const response = await fetch(`${server.url}/v1/devices/${device.deviceId}/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${created.body.key}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toBe('ApiKey realm="m2m-trust", header="X-API-Key", Bearer realm="m2m-trust", error="insufficient_scope", scope="devices:write"');
    });

    it('device routes: RFC 6750 Bearer and RFC 9421 Signature, with invalid_token for a refused token', async () => {
      const none = await fetch(`${server.url}/v1/me`);
      expect(none.status).toBe(401);
      expect(none.headers.get('content-type')).toContain('application/problem+json');
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="m2m-trust", Signature realm="m2m-trust", alg="ed25519"');
      expect(await challengesOf('/v1/me', 'not-a-token')).toEqual([
        { scheme: 'bearer', parameters: { realm: 'm2m-trust', error: 'invalid_token' } },
        { scheme: 'signature', parameters: { realm: 'm2m-trust', alg: 'ed25519' } },
      ]);
      // The operator's key is no device token.
      expect(await challengesOf('/v1/me', server.adminKey)).toContainEqual({ scheme: 'bearer', parameters: { realm: 'm2m-trust', error: 'invalid_token' } });
    });

    it('the token endpoint: the scheme the client tried in Authorization (RFC 6749 section 5.2), else PrivateKeyJwt', async () => {
      // client_secret_basic, which this server does not offer: the client authenticated in the header and failed.
      const basic = await token({ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from(`${device.deviceId}:secret`).toString('base64')}` });
      expect(basic.status).toBe(401);
      expect(basic.headers.get('www-authenticate')).toBe('Basic realm="m2m-trust"');
      expect(await basic.json()).toMatchObject({ error: 'invalid_client' });

      const forged = await grant(await clientAssertion(device, server.url, { signer: newDevice().privateKey }));
      expect(forged.status).toBe(401);
      expect(forged.headers.get('www-authenticate')).toBe('PrivateKeyJwt realm="m2m-trust"');
      expect(forged.headers.get('content-type')).toContain('application/json');
      expect(await forged.json()).toMatchObject({ error: 'invalid_client', error_description: expect.any(String) });
    });
  });

  describe('RFC 6749 section 5.2 for bodies the OAuth endpoints cannot read', () => {
    it.each([
      ['malformed JSON', 'application/json', '{not json'],
      ['another media type', 'text/xml', '<grant/>'],
      ['a body past the size limit', 'application/x-www-form-urlencoded', `grant_type=${'a'.repeat(2_000_000)}`],
    ])('answers %s with 400 invalid_request, not problem+json', async (_, contentType, body) => {
      for (const path of ['/oauth2/token', '/oauth2/introspect']) {
        const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${server.adminKey}` }, body });
        expect([path, response.status, response.headers.get('content-type'), response.headers.get('cache-control')]).toEqual([path, 400, 'application/json; charset=utf-8', 'no-store']);
        expect(await response.json()).toEqual({ error: 'invalid_request', error_description: expect.any(String), request_id: expect.any(String) });
      }
    });
  });

  describe('RFC 6749 section 5.2 under races', () => {
    it('one client assertion sent by many callers at once: exactly one token, every other caller 401 invalid_client, never 409', async () => {
      const once = await assertion();
      const answers = await Promise.all(
        Array.from({ length: 32 }, async () => {
          const response = await grant(once);
          return { status: response.status, body: (await response.json()) as Record<string, unknown>, challenge: response.headers.get('www-authenticate') };
        }),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([200, ...Array.from({ length: 31 }, () => 401)]);
      for (const answer of answers.filter((candidate) => candidate.status === 401)) {
        expect(answer).toEqual({ status: 401, body: { error: 'invalid_client', error_description: expect.any(String), request_id: expect.any(String) }, challenge: 'PrivateKeyJwt realm="m2m-trust"' });
      }
      // And the assertion stays spent.
      expect((await grant(once)).status).toBe(401);
    });
  });

  describe('access tokens as a standard resource server reads them', () => {
    const resourceServer = async () => {
      const issuer = new URL(server.url);
      const discovery = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true });
      return oauth.processDiscoveryResponse(issuer, discovery);
    };
    const validate = async (as: oauth.AuthorizationServer, accessToken: string) =>
      oauth.validateJwtAccessToken(as, new Request(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } }), server.url, {
        [oauth.allowInsecureRequests]: true,
      });

    it('oauth4webapi validates the bearer tokens of both flows: no cnf, so no DPoP proof is demanded of them', async () => {
      const as = await resourceServer();
      const verified = await authenticate(api, device);
      const fromChallenge = verified.body['accessToken'] as string;
      const granted = (await (await grant(await assertion())).json()) as { access_token: string };
      for (const accessToken of [fromChallenge, granted.access_token]) {
        const claims = await validate(as, accessToken);
        expect(claims).toMatchObject({ sub: device.deviceId, client_id: device.deviceId, iss: server.url, aud: server.url });
        expect(claims).not.toHaveProperty('cnf');
        expect(decodeJwt(accessToken)).toMatchObject({ device_key_thumbprint: expect.any(String) });
        // The binding the server does enforce: the token works while the device holds that key.
        expect((await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);
      }
    });
  });
});
