import { assertUnreachable, type Decider, DomainError, ErrorCode, type ErrorDetail, plainTextDetail, requirePlainText } from '@m2m-trust/shared-domain';
import { API_KEY_SCOPES, type ApiKeyCreated, type ApiKeyEvent, type ApiKeyRevoked, type ApiKeyScope } from '@m2m-trust/shared-events';

import type { ApiKeyCommand, CreateApiKey, RevokeApiKey } from './api-key.commands';

export type ApiKeyState =
  | { readonly status: 'none' }
  | { readonly status: 'active'; readonly apiKeyId: string }
  | { readonly status: 'revoked'; readonly apiKeyId: string };

const initialState: ApiKeyState = { status: 'none' };

export const API_KEY_NAME_MAX_LENGTH = 100;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const SECRET_HASH = /^[0-9a-f]{64}$/;

function evolve(state: ApiKeyState, event: ApiKeyEvent): ApiKeyState {
  switch (event.type) {
    case 'ApiKeyCreated':
      return { status: 'active', apiKeyId: event.data.apiKeyId };
    case 'ApiKeyRevoked':
      return state.status === 'none' ? state : { status: 'revoked', apiKeyId: state.apiKeyId };
    default:
      return assertUnreachable(event);
  }
}

const isScope = (value: string): value is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(value);

/** Every problem with the input at once, so a caller fixes them in one go. */
function problemsOf(data: CreateApiKey['data']): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (data.name.trim().length === 0 || data.name.length > API_KEY_NAME_MAX_LENGTH) {
    problems.push({ path: '/name', message: `must be 1 to ${API_KEY_NAME_MAX_LENGTH} characters, not blank` });
  }
  const name = plainTextDetail('/name', data.name);
  if (name !== null) problems.push(name);
  if (data.scopes.length === 0) problems.push({ path: '/scopes', message: 'must name at least one scope' });
  data.scopes.forEach((scope, index) => {
    if (!isScope(scope)) problems.push({ path: `/scopes/${index}`, message: `must be one of ${API_KEY_SCOPES.join(', ')}` });
    else if (data.scopes.indexOf(scope) !== index) problems.push({ path: `/scopes/${index}`, message: `"${scope}" is given twice` });
  });
  if (data.expiresAt !== null) {
    const at = RFC3339.test(data.expiresAt) ? Date.parse(data.expiresAt) : Number.NaN;
    if (Number.isNaN(at)) problems.push({ path: '/expiresAt', message: 'must be an RFC 3339 date-time' });
    else if (at <= Date.parse(data.now)) problems.push({ path: '/expiresAt', message: 'must be in the future' });
  }
  if (!SECRET_HASH.test(data.secretHash)) problems.push({ path: '/secretHash', message: 'must be a SHA-256 digest in lowercase hex' });
  return problems;
}

function create(command: CreateApiKey, state: ApiKeyState): ApiKeyCreated[] {
  if (state.status !== 'none') {
    // Ids are 96 random bits: only a handler bug repeats one.
    throw new DomainError(ErrorCode.ConcurrencyConflict, `API key ${command.data.apiKeyId} already exists`);
  }
  const problems = problemsOf(command.data);
  if (problems.length > 0) {
    throw new DomainError(ErrorCode.ValidationFailed, `Invalid API key: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
  }
  const { apiKeyId, name, scopes, expiresAt, secretHash, now } = command.data;
  return [
    {
      type: 'ApiKeyCreated',
      data: {
        apiKeyId,
        name,
        // One canonical order, whatever order the caller listed them in.
        scopes: API_KEY_SCOPES.filter((scope) => scopes.includes(scope)),
        expiresAt: expiresAt === null ? null : new Date(Date.parse(expiresAt)).toISOString(),
        secretHash,
        createdAt: now,
      },
    },
  ];
}

function revoke(command: RevokeApiKey, state: ApiKeyState): ApiKeyRevoked[] {
  switch (state.status) {
    case 'none':
      throw new DomainError(ErrorCode.ApiKeyNotFound, `API key ${command.data.apiKeyId} does not exist`);
    case 'revoked':
      // Revoking twice is answered like the first time and records nothing, as for devices.
      return [];
    case 'active':
      requirePlainText('/reason', command.data.reason);
      return [{ type: 'ApiKeyRevoked', data: { apiKeyId: command.data.apiKeyId, reason: command.data.reason, revokedAt: command.data.now } }];
    default:
      return assertUnreachable(state);
  }
}

function decide(command: ApiKeyCommand, state: ApiKeyState): ApiKeyEvent[] {
  switch (command.type) {
    case 'CreateApiKey':
      return create(command, state);
    case 'RevokeApiKey':
      return revoke(command, state);
    default:
      return assertUnreachable(command);
  }
}

export const apiKeyDecider: Decider<ApiKeyCommand, ApiKeyEvent, ApiKeyState> = { initialState, evolve, decide };
