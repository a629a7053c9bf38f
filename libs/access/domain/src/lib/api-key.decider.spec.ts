import { ErrorCode } from '@m2m-trust/shared-domain';
import { deciderSpec } from '@m2m-trust/shared-domain/testing';
import type { ApiKeyCreated, ApiKeyRevoked } from '@m2m-trust/shared-events';

import type { CreateApiKey } from './api-key.commands';
import { apiKeyDecider } from './api-key.decider';

const ID = '0123456789abcdef01234567';
const HASH = 'a'.repeat(64);
const NOW = '2026-11-21T08:00:00.000Z';
const LATER = '2026-11-21T09:00:00.000Z';

const created: ApiKeyCreated = {
  type: 'ApiKeyCreated',
  data: { apiKeyId: ID, name: 'CI pipeline', scopes: ['devices:read', 'audit:read'], expiresAt: '2027-01-01T00:00:00.000Z', secretHash: HASH, createdAt: NOW },
};
const revoked: ApiKeyRevoked = { type: 'ApiKeyRevoked', data: { apiKeyId: ID, reason: 'rotated', revokedAt: LATER } };

const spec = deciderSpec(apiKeyDecider);
const create = (overrides: Partial<CreateApiKey['data']> = {}): CreateApiKey => ({
  type: 'CreateApiKey',
  data: { apiKeyId: ID, name: 'CI pipeline', scopes: ['audit:read', 'devices:read'], expiresAt: '2027-01-01T01:00:00+01:00', secretHash: HASH, now: NOW, ...overrides },
});
const revoke = { type: 'RevokeApiKey' as const, data: { apiKeyId: ID, reason: 'rotated', now: LATER } };

describe('API key decider', () => {
  describe('CreateApiKey', () => {
    it('creates a key with its scopes in canonical order and its expiry in UTC', () => {
      spec.given([]).when(create()).then([created]);
    });

    it('creates a key that never expires', () => {
      spec.given([]).when(create({ expiresAt: null })).then([{ ...created, data: { ...created.data, expiresAt: null } }]);
    });

    it('accepts a name of exactly 100 characters and every scope', () => {
      const name = 'n'.repeat(100);
      const scopes = ['keys:admin', 'audit:read', 'devices:write', 'devices:read'];
      spec
        .given([])
        .when(create({ name, scopes }))
        .then([{ ...created, data: { ...created.data, name, scopes: ['devices:read', 'devices:write', 'audit:read', 'keys:admin'] } }]);
    });

    it.each([
      ['an empty name', { name: '' }],
      ['a blank name', { name: '   ' }],
      ['a name of 101 characters', { name: 'n'.repeat(101) }],
      ['no scopes', { scopes: [] }],
      ['an unknown scope', { scopes: ['devices:read', 'devices:admin'] }],
      ['a scope given twice', { scopes: ['audit:read', 'audit:read'] }],
      ['an expiry that is now', { expiresAt: NOW }],
      ['an expiry in the past', { expiresAt: '2026-11-21T07:59:59Z' }],
      ['an expiry without a time zone', { expiresAt: '2027-01-01T00:00:00' }],
      ['an expiry that is a date only', { expiresAt: '2027-01-01' }],
      ['an expiry that is no date', { expiresAt: 'tomorrow' }],
      ['a hash that is no SHA-256 digest', { secretHash: 'secret' }],
      ['a name with NUL', { name: 'ci\u0000' }],
      ['a name with a terminal escape', { name: '\u001b[31mci' }],
      ['a name with a lone surrogate', { name: 'ci \ud83d' }],
      ['a name with a noncharacter', { name: 'ci \ufffe' }],
    ])('refuses %s as a validation error', (_, overrides) => {
      spec.given([]).when(create(overrides)).thenFails(ErrorCode.ValidationFailed);
    });

    it('names every problem at once', () => {
      let details: unknown;
      try {
        apiKeyDecider.decide(create({ name: '', scopes: [], expiresAt: '2000-01-01T00:00:00Z' }), apiKeyDecider.initialState);
      } catch (error) {
        details = (error as { details: unknown }).details;
      }
      expect(details).toEqual([
        { path: '/name', message: expect.any(String) },
        { path: '/scopes', message: expect.any(String) },
        { path: '/expiresAt', message: 'must be in the future' },
      ]);
    });

    it('refuses an id that is already taken', () => {
      spec.given([created]).when(create()).thenFails(ErrorCode.ConcurrencyConflict);
    });
  });

  describe('RevokeApiKey', () => {
    it('revokes an active key', () => {
      spec.given([created]).when(revoke).then([revoked]);
    });

    it('records nothing when the key is already revoked', () => {
      spec.given([created, revoked]).when(revoke).then([]);
    });

    it('refuses an unknown key', () => {
      spec.given([]).when(revoke).thenFails(ErrorCode.ApiKeyNotFound);
    });

    it.each(['rotated\r\n', 'DEL \u007f', 'lone \udfff'])('refuses a reason that is not plain text: %j', (reason) => {
      spec.given([created]).when({ ...revoke, data: { ...revoke.data, reason } }).thenFails(ErrorCode.ValidationFailed);
    });
  });
});
