import { API_KEY_SCOPES, type ApiKey, type CreateApiKeyInput, type CreatedApiKey, type RevokeApiKeyInput } from './api-keys.types';
import { type CallOptions, type HttpTransport, type TransportResponse } from './http.transport';
import { M2MInvalidResponseError } from './m2m.error';

type Json = Record<string, unknown>;

function invalid(response: TransportResponse, what: string): M2MInvalidResponseError {
  return new M2MInvalidResponseError(`Unexpected answer from ${response.url.pathname} (${response.status}): ${what}`, {
    status: response.status,
    requestId: response.headers.get('x-request-id') ?? undefined,
  });
}

const STATUSES: readonly unknown[] = ['active', 'expired', 'revoked'];

function apiKey(response: TransportResponse, value: unknown, what: string): ApiKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(response, `${what} is not an object`);
  const record = value as Json;
  for (const field of ['id', 'name', 'createdAt']) if (typeof record[field] !== 'string') throw invalid(response, `${what}.${field} is not a string`);
  for (const field of ['expiresAt', 'revokedAt']) {
    if (record[field] !== null && typeof record[field] !== 'string') throw invalid(response, `${what}.${field} is not a string or null`);
  }
  if (!Array.isArray(record['scopes']) || !record['scopes'].every((scope) => (API_KEY_SCOPES as readonly unknown[]).includes(scope))) {
    throw invalid(response, `${what}.scopes is not a list of scopes`);
  }
  if (!STATUSES.includes(record['status'])) throw invalid(response, `${what}.status is ${String(record['status'])}`);
  return record as unknown as ApiKey;
}

/** API keys with scopes: `client.apiKeys`. Needs a key holding `keys:admin` (the admin key holds every scope). */
export class ApiKeysApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Creates a key. The answer's `key` is the only copy there will ever be:
   * the service keeps only its hash. 400 `VALIDATION_FAILED` for a bad name,
   * scopes or expiry.
   */
  async create(input: CreateApiKeyInput, options?: CallOptions): Promise<CreatedApiKey> {
    const body = {
      name: input.name,
      scopes: [...input.scopes],
      ...(input.expiresAt === undefined ? {} : { expiresAt: input.expiresAt instanceof Date ? input.expiresAt.toISOString() : input.expiresAt }),
    };
    // Never retried once sent: a lost answer would leave a key nobody holds.
    const response = await this.http.request({ method: 'POST', target: 'v1/api-keys', body, authenticated: true, retry: 'refused' }, options);
    const created = apiKey(response, response.body, 'apiKey');
    if (typeof (created as Partial<CreatedApiKey>).key !== 'string') throw invalid(response, 'apiKey.key is not a string');
    return created as CreatedApiKey;
  }

  /** Every key in creation order, revoked and expired ones too. */
  async list(options?: CallOptions): Promise<readonly ApiKey[]> {
    const response = await this.http.request({ method: 'GET', target: 'v1/api-keys', authenticated: true, retry: 'idempotent' }, options);
    const items = (response.body as Json | null)?.['items'];
    if (!Array.isArray(items)) throw invalid(response, 'items is not an array');
    return items.map((item, i) => apiKey(response, item, `items[${i}]`));
  }

  /** Revokes a key: refused from now on. Idempotent. 404 `API_KEY_NOT_FOUND`. */
  async revoke(id: string, input: RevokeApiKeyInput = {}, options?: CallOptions): Promise<ApiKey> {
    const response = await this.http.request(
      {
        method: 'POST',
        target: `v1/api-keys/${encodeURIComponent(id)}/revoke`,
        body: input.reason === undefined ? {} : { reason: input.reason },
        authenticated: true,
        retry: 'idempotent',
      },
      options,
    );
    return apiKey(response, response.body, 'apiKey');
  }
}
