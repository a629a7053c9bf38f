import { API_KEY_SCOPES, type ApiKey, type ApiKeyScope } from '@m2m-trust/sdk';

import { type Command, REASON_OPTION, reasonBody, requiredString, stringList, stringOption } from '../cli.command';
import { UsageError } from '../cli.error';
import { ExitCode } from '../exit-code';
import { type Column, renderFields, renderTable } from '../output/table.formatter';

const API_KEY_COLUMNS: readonly Column<ApiKey>[] = [
  { header: 'ID', value: (k) => k.id },
  { header: 'STATUS', value: (k) => k.status },
  { header: 'SCOPES', value: (k) => k.scopes.join(',') },
  { header: 'CREATED', value: (k) => k.createdAt },
  { header: 'EXPIRES', value: (k) => k.expiresAt ?? 'never' },
  { header: 'NAME', value: (k) => k.name },
];

const apiKeyFields = (key: ApiKey): string =>
  renderFields([
    ['id', key.id],
    ['name', key.name],
    ['status', key.status],
    ['scopes', key.scopes.join(' ')],
    ['created', key.createdAt],
    ['expires', key.expiresAt ?? 'never'],
    ['revoked', key.revokedAt ?? undefined],
  ]);

export const apiKeysCreateCommand: Command = {
  path: ['api-keys', 'create'],
  summary: 'Create an API key with scopes; prints the key once (it is not shown again)',
  usage: '--name NAME --scope SCOPE [--scope SCOPE ...] [--expires-at RFC3339]',
  details: `Scopes: ${API_KEY_SCOPES.join(', ')}. Needs an API key with keys:admin (the admin key has every scope).`,
  options: {
    name: { type: 'string', value: 'NAME', description: 'what the key is for (1-100 characters)' },
    scope: { type: 'string', multiple: true, value: 'SCOPE', choices: API_KEY_SCOPES, description: `a scope the key holds; repeat for more (${API_KEY_SCOPES.join(', ')})` },
    'expires-at': { type: 'string', value: 'TIME', description: 'when it stops working, RFC 3339 (e.g. 2027-01-01T00:00:00Z); default never' },
  },
  async run(invocation) {
    const { values, output } = invocation;
    const name = requiredString(values, 'name');
    const scopes = stringList(values, 'scope');
    if (scopes.length === 0) throw new UsageError(`Give at least one --scope (${API_KEY_SCOPES.join(', ')})`);
    const expiresAt = stringOption(values, 'expires-at');
    const created = await invocation
      .operatorClient()
      .apiKeys.create({ name, scopes: scopes as ApiKeyScope[], ...(expiresAt === undefined ? {} : { expiresAt }) });
    output.result(created, () => `${apiKeyFields(created)}key: ${created.key}\n`);
    output.note('Keep the key now: it is shown this once, and the service stores only its hash.');
    return ExitCode.Ok;
  },
};

export const apiKeysListCommand: Command = {
  path: ['api-keys', 'list'],
  summary: 'List API keys (never their secrets), revoked and expired ones too',
  usage: '',
  options: {},
  async run(invocation) {
    const keys = await invocation.operatorClient().apiKeys.list();
    invocation.output.result(keys, () => (keys.length === 0 ? '' : renderTable(API_KEY_COLUMNS, keys)));
    if (!invocation.output.json) invocation.output.note(`${keys.length} API key${keys.length === 1 ? '' : 's'}`);
    return ExitCode.Ok;
  },
};

export const apiKeysRevokeCommand: Command = {
  path: ['api-keys', 'revoke'],
  summary: 'Revoke an API key: it is refused from now on (idempotent)',
  usage: 'ID [--reason TEXT]',
  positionals: { name: 'ID', max: 1 },
  options: { reason: REASON_OPTION },
  async run(invocation) {
    const [id] = invocation.positionals;
    if (!id) throw new UsageError('Name the API key: m2m api-keys revoke ID');
    const key = await invocation.operatorClient().apiKeys.revoke(id, reasonBody(invocation.values));
    invocation.output.result(key, () => apiKeyFields(key));
    return ExitCode.Ok;
  },
};
