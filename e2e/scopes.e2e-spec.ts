import { status } from '@grpc/grpc-js';

import { type GrpcAnswer, GrpcApi, grpcTargetOf, trailer } from './grpc-client';
import { Api, newDevice, register } from './support/client';
import { type RunningServer, startServer } from './support/server';

const SCOPES = ['devices:read', 'devices:write', 'audit:read', 'keys:admin'] as const;
type Scope = (typeof SCOPES)[number];

interface Operation {
  readonly method: string;
  readonly path: string;
  /** null: a public operation, or a device's own (below). */
  readonly scope: Scope | null;
  /** Called by a device with its own credentials (an access token or an RFC 9421 signature): no API key gets in. */
  readonly device: boolean;
}

/** Harmless inputs: made-up ids and empty bodies. The point is the authorization layer; a 400 or 404 behind it is fine. */
const concrete = (path: string): string => path.replace(/\{[^}]+\}/g, 'scope-walk-missing');

async function call(api: Api, operation: Operation): Promise<{ status: number; code: unknown }> {
  const body = ['POST', 'PUT', 'PATCH'].includes(operation.method) ? {} : undefined;
  const answer = await api.call(operation.method, concrete(operation.path), body, { accept: 'application/json' });
  return { status: answer.status, code: typeof answer.body === 'object' && answer.body !== null ? answer.body['code'] : undefined };
}

/**
 * Every operation the served OpenAPI document names, with every scope: a key
 * holding only that scope gets 403 INSUFFICIENT_SCOPE exactly where the
 * operation requires another one, and gets past authorization where it
 * requires this one. New routes are walked as soon as they are documented.
 */
describe('scopes: every operation, every scope', () => {
  let server: RunningServer;
  let admin: Api;
  let operations: Operation[];
  const keys = {} as Record<Scope, string>;

  beforeAll(async () => {
    server = await startServer();
    admin = new Api(server.url, server.adminKey);
    const document = await new Api(server.url, null).get<{ paths: Record<string, Record<string, Record<string, unknown>>> }>('/openapi.json');
    expect(document.status).toBe(200);
    operations = Object.entries(document.body.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        scope: (operation['x-required-scope'] as Scope | undefined) ?? null,
        device: ((operation['security'] as Record<string, unknown>[] | undefined) ?? []).some((requirement) => 'httpSignature' in requirement),
      })),
    );
    for (const scope of SCOPES) {
      const created = await admin.post<{ key: string }>('/v1/api-keys', { name: `only ${scope}`, scopes: [scope] });
      expect(created.status).toBe(201);
      keys[scope] = created.body.key;
    }
  });
  afterAll(() => server.stop());

  it('documents a known scope on every operation that is not public, and covers each scope', () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
    for (const operation of operations) expect([null, ...SCOPES]).toContain(operation.scope);
    for (const scope of SCOPES) expect(operations.filter((operation) => operation.scope === scope).length).toBeGreaterThan(0);
    expect(operations.find((operation) => operation.method === 'GET' && operation.path === '/v1/devices')?.scope).toBe('devices:read');
    expect(operations.find((operation) => operation.method === 'POST' && operation.path === '/v1/api-keys')?.scope).toBe('keys:admin');
    expect(operations.find((operation) => operation.method === 'POST' && operation.path === '/epcis/queries')?.scope).toBe('audit:read');
    expect(operations.find((operation) => operation.method === 'POST' && operation.path === '/v1/challenges')?.scope).toBeNull();
    expect(operations.find((operation) => operation.method === 'GET' && operation.path === '/v1/me')).toMatchObject({ scope: null, device: true });
  });

  it.each(SCOPES)('with only %s: 403 INSUFFICIENT_SCOPE exactly where another scope is required, never 401', async (scope) => {
    const api = new Api(server.url, keys[scope]);
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const operation of operations) {
      const answer = await call(api, operation);
      const name = `${operation.method} ${operation.path} (${operation.scope ?? (operation.device ? 'device' : 'public')})`;
      const refused = answer.status === 403 && answer.code === 'INSUFFICIENT_SCOPE';
      outcomes.push(`${name}: ${answer.status === 401 ? '401' : refused ? 'refused' : 'allowed'}`);
      expected.push(`${name}: ${operation.device ? '401' : operation.scope !== null && operation.scope !== scope ? 'refused' : 'allowed'}`);
      if (operation.scope === scope) expect({ name, status: answer.status }).not.toEqual({ name, status: 403 });
    }
    expect(outcomes).toEqual(expected);
  });

  it('answers 401 without a key on every scoped operation and every device operation, and never 401 or 403 on a public one', async () => {
    const anonymous = new Api(server.url, null);
    for (const operation of operations) {
      const answer = await call(anonymous, operation);
      const name = `${operation.method} ${operation.path}`;
      if (operation.device) expect({ name, status: answer.status, code: answer.code }).toEqual({ name, status: 401, code: 'UNAUTHORIZED' });
      else if (operation.scope === null) expect({ name, refused: [401, 403].includes(answer.status) }).toEqual({ name, refused: false });
      else expect({ name, status: answer.status, code: answer.code }).toEqual({ name, status: 401, code: 'UNAUTHORIZED' });
    }
  });

  it('lets the admin key through every operation but a device\'s own: it holds every scope, and it is no device', async () => {
    for (const operation of operations) {
      const answer = await call(admin, operation);
      const name = `${operation.method} ${operation.path}`;
      expect({ name, refused: [401, 403].includes(answer.status) }).toEqual({ name, refused: operation.device });
    }
  });

  describe('over gRPC, the same scopes', () => {
    let grpcTarget: string;
    let deviceId: string;
    const clients: GrpcApi[] = [];
    const client = (key: string | null): GrpcApi => {
      const made = new GrpcApi(grpcTarget, key);
      clients.push(made);
      return made;
    };
    /** One call per scope class, each harmless: reads of a real device, a write that the registry refuses as invalid. */
    const CALLS: readonly [string, Scope | null, (api: GrpcApi) => Promise<GrpcAnswer<unknown>>][] = [
      ['GetDevice', 'devices:read', (api) => api.getDevice(deviceId)],
      ['ListDevices', 'devices:read', (api) => api.listDevices({ limit: 1 })],
      ['RegisterDevice', 'devices:write', (api) => api.registerDevice({ deviceId: 'grpc-scope-walk', publicKey: 'not-a-key' })],
      ['RevokeDevice', 'devices:write', (api) => api.revokeDevice({ deviceId: 'grpc-scope-walk-missing' })],
      ['QueryEvents', 'audit:read', (api) => api.queryEvents({ eqBizStep: ['commissioning'] })],
      ['InitiateChallenge', null, (api) => api.initiateChallenge(deviceId)],
    ];

    beforeAll(async () => {
      grpcTarget = grpcTargetOf(server.output());
      const device = newDevice('scope-walk');
      expect((await register(admin, device)).status).toBe(201);
      deviceId = device.deviceId;
    });
    afterAll(() => clients.forEach((c) => c.close()));

    it.each(SCOPES)('with only %s: PERMISSION_DENIED (INSUFFICIENT_SCOPE) exactly where another scope is required', async (scope) => {
      const api = client(keys[scope]);
      for (const [name, required, invoke] of CALLS) {
        const answer = await invoke(api);
        const outcome = answer.ok ? 'allowed' : answer.code === status.PERMISSION_DENIED ? `refused ${trailer(answer, 'm2m-error-code')}` : answer.code === status.UNAUTHENTICATED ? 'unauthenticated' : 'allowed';
        expect({ name, outcome }).toEqual({ name, outcome: required !== null && required !== scope ? 'refused INSUFFICIENT_SCOPE' : 'allowed' });
      }
    });

    it('answers UNAUTHENTICATED without a key, and with a revoked one', async () => {
      const created = await admin.post<{ id: string; key: string }>('/v1/api-keys', { name: 'revoked over gRPC', scopes: ['devices:read'] });
      const revokedClient = client(created.body.key);
      expect((await revokedClient.getDevice(deviceId)).ok).toBe(true);
      expect((await admin.post(`/v1/api-keys/${created.body.id}/revoke`)).status).toBe(200);
      for (const api of [client(null), revokedClient]) {
        const answer = await api.getDevice(deviceId);
        expect(answer.ok ? 'OK' : [answer.code, trailer(answer, 'm2m-error-code')]).toEqual([status.UNAUTHENTICATED, 'UNAUTHORIZED']);
      }
    });

    it('records which key acted over gRPC', async () => {
      const answer = await client(keys['devices:write']).registerDevice({ deviceId: `grpc-by-key-${Date.now()}`, publicKey: newDevice().publicKeyHex });
      expect(answer.ok).toBe(true);
      const id = /^m2m_([0-9a-f]{24})_/.exec(keys['devices:write'])![1];
      const events = await admin.get<{ epcisBody: { queryResults: { resultsBody: { eventList: Record<string, unknown>[] } } } }>(
        `/epcis/events?EQ_bizStep=commissioning&${encodeURIComponent('EQ_m2m:actor')}=${encodeURIComponent(`api-key:${id}`)}`,
      );
      expect(events.status).toBe(200);
      expect(events.body.epcisBody.queryResults.resultsBody.eventList).toHaveLength(1);
    });
  });
});
