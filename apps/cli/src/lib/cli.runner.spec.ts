import { ChallengeRefusedError,M2MApiError, M2MNetworkError, M2MTimeoutError } from '@m2m-trust/sdk';

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConfigError, exitCodeFor, UsageError } from './cli.error';
import { COMMANDS, runCli } from './cli.runner';
import { ExitCode } from './exit-code';

// The runner in-process, for what needs no service: parsing, help, exit codes.
// Everything that talks to the service is in cli.int-spec.ts, against the real one.

describe('m2m command line', () => {
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'm2m-cli-'))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  async function run(argv: string[], env: Record<string, string> = {}) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env,
      homeDir: home,
      cwd: home,
      moduleDir: __dirname,
    });
    return { code, stdout, stderr };
  }

  it('prints help on request, to stdout, exit 0', async () => {
    const root = await run(['--help']);
    expect(root.code).toBe(ExitCode.Ok);
    for (const command of COMMANDS) expect(root.stdout).toContain(command.path.join(' '));
    expect(root.stdout).toContain('Exit codes:');
    const one = await run(['devices', 'register', '--help']);
    expect(one).toMatchObject({ code: ExitCode.Ok, stdout: expect.stringContaining('Usage: m2m devices register --device ID') });
    expect((await run(['help', 'auth'])).stdout).toContain('Usage: m2m auth');
  });

  it.each([
    ['no command', []],
    ['a group without its command', ['devices']],
    ['an unknown command', ['enroll']],
    ['an unknown option', ['devices', 'list', '--colour']],
    ['an option without its value', ['keygen', '--out']],
    ['a missing required option', ['keygen']],
    ['an extra argument', ['devices', 'get', 'a', 'b']],
    ['a malformed number', ['devices', 'list', '--limit', 'ten']],
    ['a malformed time', ['audit', 'query', '--since', 'yesterday']],
    ['a malformed --param', ['audit', 'query', '--param', 'novalue']],
    ['both ways of giving a public key', ['devices', 'register', '--device', 'd', '--public-key', 'ab', '--key', 'f']],
    ['a malformed timeout', ['devices', 'list', '--timeout', '1s']],
    ['an export without --out', ['audit', 'export']],
    ['an unknown export format', ['audit', 'export', '--out', 'x.pdf', '--format', 'pdf']],
    ['paging an export', ['audit', 'export', '--out', 'x.jsonld', '--per-page', '10']],
    ['a verify without its file', ['audit', 'verify']],
    ['a verify of two files', ['audit', 'verify', 'a.jsonld', 'b.jsonld']],
  ])('exits 2 on %s', async (_, argv) => {
    const result = await run(argv, { M2M_URL: 'http://127.0.0.1:9', M2M_API_KEY: 'k' });
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toBe('');
  });

  it('prints its version with --version or -V, as JSON with --json', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(await run(['--version'])).toEqual({ code: ExitCode.Ok, stdout: `${version}\n`, stderr: '' });
    expect((await run(['-V'])).stdout).toBe(`${version}\n`);
    expect(JSON.parse((await run(['--version', '--json'])).stdout)).toEqual({ version });
    expect((await run(['--help'])).stdout).toMatch(/-V, --version +print m2m's version/);
  });

  it.each([
    ['a misspelt group', ['devcies', 'list'], 'Unknown command: m2m devcies. Did you mean m2m devices?'],
    ['a misspelt command', ['devices', 'regster'], 'Unknown command: m2m devices regster. Did you mean m2m devices register?'],
    ['a command without its group', ['register'], 'Unknown command: m2m register. Did you mean m2m devices register?'],
    ['a command of two groups', ['revoke'], 'Did you mean m2m devices revoke or m2m api-keys revoke?'],
    ['nothing like a command', ['frobnicate'], 'Unknown command: m2m frobnicate.\n'],
    ['a misspelt option', ['devices', 'list', '--statsu', 'active'], 'Unknown option --statsu for m2m devices list. Did you mean --status?'],
    ['the start of an option', ['devices', 'register', '--pub', 'x'], 'Did you mean --public-key?'],
    ['a misspelt option of m2m itself', ['--verison'], 'Unknown option --verison for m2m. Did you mean --version?'],
    ['an option of another command', ['keygen', '--out', 'k.pem', '--status', 'active'], 'Unknown option --status for m2m keygen.\n'],
  ])('exits 2 on %s, with what was probably meant', async (_, argv, message) => {
    const result = await run(argv);
    expect(result).toMatchObject({ code: ExitCode.Usage, stdout: '' });
    expect(result.stderr).toContain(message);
  });

  it.each([
    ['--status of devices list', ['devices', 'list', '--status', 'revokd'], '--status must be one of: active, revoked (not "revokd"). Did you mean revoked?'],
    ['--format of audit export', ['audit', 'export', '--out', 'x', '--format', 'pdf'], '--format must be one of: jsonld, xml, csv (not "pdf").'],
    ['--scope of api-keys create', ['api-keys', 'create', '--name', 'ci', '--scope', 'audit:read', '--scope', 'devices:reed'], 'must be one of: devices:read, devices:write, audit:read, keys:admin (not "devices:reed"). Did you mean devices:read?'],
    ['--action of audit query', ['audit', 'query', '--action', 'add'], '--action must be one of: ADD, OBSERVE, DELETE (not "add"). Did you mean ADD?'],
    ['the shell of completion', ['completion', 'tcsh'], 'SHELL must be one of: bash, zsh, fish (not "tcsh").'],
  ])('exits 2 on a value outside the choices of %s, listing them', async (_, argv, message) => {
    const result = await run(argv, { M2M_URL: 'http://127.0.0.1:9', M2M_API_KEY: 'k' });
    expect(result).toMatchObject({ code: ExitCode.Usage, stdout: '' });
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(`Run m2m ${argv.slice(0, argv[0] === 'completion' ? 1 : 2).join(' ')} --help for usage.`);
  });

  it('exits 3 when the file to verify cannot be read, or no key set can be had', async () => {
    const missing = await run(['audit', 'verify', 'no-such-export.jsonld', '--keys', 'keys.json']);
    expect(missing).toMatchObject({ code: ExitCode.Unavailable, stderr: expect.stringContaining('no-such-export.jsonld') });
  });

  it('exits 3 without a URL or API key, naming where to set them', async () => {
    const noUrl = await run(['devices', 'list']);
    expect(noUrl).toMatchObject({ code: ExitCode.Unavailable, stderr: expect.stringContaining('M2M_URL') });
    const noKey = await run(['devices', 'list'], { M2M_URL: 'http://127.0.0.1:9' });
    expect(noKey).toMatchObject({ code: ExitCode.Unavailable, stderr: expect.stringContaining('M2M_API_KEY') });
  });

  it('reports errors as JSON on stderr with --json', async () => {
    const result = await run(['devices', 'list', '--json']);
    expect(JSON.parse(result.stderr)).toEqual({ error: { code: 'ConfigError', message: expect.stringContaining('M2M_URL') } });
  });
});

describe('exitCodeFor', () => {
  const api = (status: number) => new M2MApiError({ status, problem: { code: 'X' }, requestId: undefined, retryAfterMs: undefined });

  it.each([
    ['a usage error', new UsageError('x'), ExitCode.Usage],
    ['a config error', new ConfigError('x'), ExitCode.Unavailable],
    ['a 401', api(401), ExitCode.Refused],
    ['a 404', api(404), ExitCode.Refused],
    ['a 409', api(409), ExitCode.Refused],
    ['a 429', api(429), ExitCode.Unavailable],
    ['a 503', api(503), ExitCode.Unavailable],
    ['a network error', new M2MNetworkError('http://x', new Error('refused')), ExitCode.Unavailable],
    ['a timeout', new M2MTimeoutError(10, 'http://x'), ExitCode.Unavailable],
    ['a refused challenge', new ChallengeRefusedError('WRONG_AUDIENCE', 'x'), ExitCode.Refused],
    ['a bug', new TypeError('x'), ExitCode.Internal],
  ] as const)('maps %s', (_, error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });
});
