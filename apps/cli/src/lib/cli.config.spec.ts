import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { configFilePath, resolveSettings, type SettingsSources } from './cli.config';
import { ConfigError } from './cli.error';

describe('CLI settings', () => {
  let home: string;
  let warnings: string[];
  const sources = (overrides: Partial<SettingsSources> = {}): SettingsSources => ({
    flags: {},
    env: {},
    homeDir: home,
    cwd: home,
    warn: (message) => warnings.push(message),
    ...overrides,
  });
  const writeConfig = (content: unknown, path = join(home, '.config', 'm2m', 'config.json'), mode = 0o600): string => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    chmodSync(path, mode);
    return path;
  };

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'm2m-cli-config-'));
    warnings = [];
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('takes flags over the environment over the config file, key by key', () => {
    writeConfig({ url: 'https://file.example', apiKey: 'file-key', audience: 'https://aud.file', timeoutMs: 3000 });
    expect(resolveSettings(sources())).toMatchObject({ url: 'https://file.example', apiKey: 'file-key', audience: 'https://aud.file', timeoutMs: 3000 });
    const env = { M2M_URL: 'https://env.example', M2M_API_KEY: 'env-key', M2M_TIMEOUT_MS: '4000' };
    expect(resolveSettings(sources({ env }))).toMatchObject({ url: 'https://env.example', apiKey: 'env-key', audience: 'https://aud.file', timeoutMs: 4000 });
    expect(resolveSettings(sources({ env, flags: { url: 'https://flag.example', timeoutMs: 5000 } }))).toMatchObject({
      url: 'https://flag.example',
      apiKey: 'env-key',
      timeoutMs: 5000,
    });
  });

  it('treats an empty environment variable as unset', () => {
    writeConfig({ url: 'https://file.example' });
    expect(resolveSettings(sources({ env: { M2M_URL: '' } })).url).toBe('https://file.example');
  });

  it('finds the file by --config, M2M_CONFIG, XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configFilePath(sources({ flags: { config: 'c.json' } }))).toEqual({ path: join(home, 'c.json'), explicit: true });
    expect(configFilePath(sources({ env: { M2M_CONFIG: '/etc/m2m.json' } }))).toEqual({ path: '/etc/m2m.json', explicit: true });
    expect(configFilePath(sources({ env: { XDG_CONFIG_HOME: '/xdg' } }))).toEqual({ path: '/xdg/m2m/config.json', explicit: false });
    expect(configFilePath(sources())).toEqual({ path: join(home, '.config', 'm2m', 'config.json'), explicit: false });
  });

  it('does without the default file but not without a named one', () => {
    expect(resolveSettings(sources())).toMatchObject({ url: undefined, apiKey: undefined, configFile: undefined });
    expect(() => resolveSettings(sources({ flags: { config: 'missing.json' } }))).toThrow(ConfigError);
  });

  it.each([
    ['not JSON', '{url:'],
    ['not an object', '[]'],
    ['a misspelt key', { url: 'https://x', apikey: 'k' }],
    ['a url that is not a string', { url: 1 }],
    ['a timeout that is not a positive whole number', { timeoutMs: -5 }],
  ])('refuses a config file with %s', (_, content) => {
    writeConfig(content);
    expect(() => resolveSettings(sources())).toThrow(ConfigError);
  });

  it('warns when other users can read a config file holding the API key, without quoting the key', () => {
    const path = writeConfig({ apiKey: 'secret-key-value' }, undefined, 0o644);
    resolveSettings(sources());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).not.toContain('secret-key-value');
  });
});
