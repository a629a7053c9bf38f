import { ErrorCode } from '@m2m-trust/shared-domain';
import { type AdminApiKey, ApiKeyAuthenticator, ApiKeyVerifier, type AppConfig, Secret, type VerifiedApiKey } from '@m2m-trust/shared-platform';

import { Server, ServerCredentials } from '@grpc/grpc-js';
import pino from 'pino';

import { API_KEY_VERIFICATION_SERVICE, apiKeyVerificationBinding } from './api-key-verification.grpc';
import { GrpcCallAdapter } from './grpc-call.adapter';
import { API_KEY_CACHE_TTL_MS, RemoteApiKeyVerifier } from './remote-api-key.verifier';

const ADMIN: AdminApiKey = { key: new Secret('admin-key-for-the-verifier-spec'), file: null, generated: false };
const GOOD = `m2m_${'a'.repeat(24)}_${'s'.repeat(43)}`;

/** The registry's side of the port: the keys it holds right now, and how often it was asked. */
class KeysAtTheRegistry extends ApiKeyVerifier {
  readonly keys = new Map<string, VerifiedApiKey>();
  asked = 0;
  async verify(presented: string): Promise<VerifiedApiKey | null> {
    this.asked++;
    return this.keys.get(presented) ?? null;
  }
}

const configFor = (registryGrpcUrl: string): AppConfig => ({ distributed: { registryGrpcUrl } }) as unknown as AppConfig;

describe('RemoteApiKeyVerifier against the registry over gRPC', () => {
  let server: Server;
  let port: number;
  let registry: KeysAtTheRegistry;
  let now: number;
  const clock = { now: () => new Date(now) };
  let verifier: RemoteApiKeyVerifier;

  beforeAll(async () => {
    registry = new KeysAtTheRegistry();
    server = new Server();
    const binding = apiKeyVerificationBinding(registry);
    const calls = new GrpcCallAdapter(new ApiKeyAuthenticator(ADMIN), pino({ level: 'silent' }), null);
    server.addService(API_KEY_VERIFICATION_SERVICE, binding.handlers(calls));
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
  });
  afterAll(() => server.forceShutdown());

  beforeEach(() => {
    registry.keys.clear();
    registry.asked = 0;
    now = Date.parse('2026-11-21T08:00:00Z');
    verifier = new RemoteApiKeyVerifier(configFor(`127.0.0.1:${port}`), ADMIN, clock);
  });
  afterEach(() => verifier.onModuleDestroy());

  it('answers what the registry answers: the id and scopes, or null', async () => {
    registry.keys.set(GOOD, { id: 'a'.repeat(24), scopes: ['devices:read'] });
    expect(await verifier.verify(GOOD)).toEqual({ id: 'a'.repeat(24), scopes: ['devices:read'] });
    expect(await verifier.verify('m2m_unknown')).toBeNull();
  });

  it('reuses a positive answer for at most the documented time, so a revocation holds within it', async () => {
    registry.keys.set(GOOD, { id: 'a'.repeat(24), scopes: ['devices:read'] });
    await verifier.verify(GOOD);
    registry.keys.delete(GOOD);
    now += API_KEY_CACHE_TTL_MS - 1;
    expect(await verifier.verify(GOOD)).not.toBeNull();
    expect(registry.asked).toBe(1);
    now += 1;
    expect(await verifier.verify(GOOD)).toBeNull();
    expect(registry.asked).toBe(2);
  });

  it('never reuses a negative answer, so a new key works at once', async () => {
    expect(await verifier.verify(GOOD)).toBeNull();
    registry.keys.set(GOOD, { id: 'a'.repeat(24), scopes: ['audit:read'] });
    expect(await verifier.verify(GOOD)).toEqual({ id: 'a'.repeat(24), scopes: ['audit:read'] });
    expect(registry.asked).toBe(2);
  });

  it('is refused by the registry without the admin key, and that is a fault, not a null', async () => {
    const stranger = new RemoteApiKeyVerifier(configFor(`127.0.0.1:${port}`), { ...ADMIN, key: new Secret('not-the-admin-key-at-all') }, clock);
    try {
      await expect(stranger.verify(GOOD)).rejects.toThrow(/UNAUTHENTICATED/);
      expect(registry.asked).toBe(0);
    } finally {
      stranger.onModuleDestroy();
    }
  });

  it('answers SERVICE_UNAVAILABLE when the registry cannot be reached', async () => {
    const closed = await new Promise<number>((resolve, reject) => {
      const probe = new Server();
      probe.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => {
        if (error) return reject(error);
        probe.forceShutdown();
        resolve(bound);
      });
    });
    const unreachable = new RemoteApiKeyVerifier(configFor(`127.0.0.1:${closed}`), ADMIN, clock);
    try {
      await expect(unreachable.verify(GOOD)).rejects.toMatchObject({ code: ErrorCode.ServiceUnavailable });
    } finally {
      unreachable.onModuleDestroy();
    }
  });
});
