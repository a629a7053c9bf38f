import { type RunningGateway, startGateway } from '../testing/gateway.process';
import { M2MClient } from './m2m.client';
import { M2MApiError, M2MNotFoundError, M2MUnauthorizedError, M2MValidationError } from './m2m.error';

// client.apiKeys against the real, built gateway (npm run build first).

let gateway: RunningGateway;

beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway?.stop());

const admin = (): M2MClient => new M2MClient({ baseUrl: gateway.url, apiKey: gateway.adminKey });

describe('client.apiKeys against the gateway', () => {
  it('creates a key shown once, lists it without the secret, and revokes it (idempotently)', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000);
    const created = await admin().apiKeys.create({ name: 'SDK reader', scopes: ['audit:read', 'devices:read'], expiresAt });
    expect(created).toMatchObject({ name: 'SDK reader', scopes: ['devices:read', 'audit:read'], status: 'active', expiresAt: expiresAt.toISOString() });
    expect(created.key).toMatch(new RegExp(`^m2m_${created.id}_[A-Za-z0-9_-]{43}$`));

    const reader = new M2MClient({ baseUrl: gateway.url, apiKey: created.key });
    await expect(reader.m2m.listDevices()).resolves.toMatchObject({ items: expect.any(Array) });
    const denied = await reader.apiKeys.list().catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(M2MApiError);
    expect(denied).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPE' });

    const { key: _key, ...listed } = created;
    expect((await admin().apiKeys.list()).find((key) => key.id === created.id)).toEqual(listed);

    const revoked = await admin().apiKeys.revoke(created.id, { reason: 'SDK test over' });
    expect(revoked).toMatchObject({ id: created.id, status: 'revoked' });
    await expect(admin().apiKeys.revoke(created.id)).resolves.toEqual(revoked);
    await expect(reader.m2m.listDevices()).rejects.toBeInstanceOf(M2MUnauthorizedError);
  });

  it('raises the service codes: VALIDATION_FAILED for bad input, API_KEY_NOT_FOUND for an unknown id', async () => {
    await expect(admin().apiKeys.create({ name: 'late', scopes: ['audit:read'], expiresAt: '2001-01-01T00:00:00Z' })).rejects.toBeInstanceOf(M2MValidationError);
    await expect(admin().apiKeys.create({ name: 'none', scopes: [] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const missing = admin().apiKeys.revoke('0123456789abcdef01234567');
    await expect(missing).rejects.toBeInstanceOf(M2MNotFoundError);
    await expect(admin().apiKeys.revoke('0123456789abcdef01234567')).rejects.toMatchObject({ code: 'API_KEY_NOT_FOUND' });
  });
});
