import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { COMMANDS, runCli } from '../cli.runner';
import { ExitCode } from '../exit-code';

// The scripts as `m2m completion SHELL` prints them, run by the real shells
// (bash, and fish and zsh from Debian's packages, which .ci/run installs).

const SHELL_TIMEOUT_MS = 30_000;

async function script(shell: string): Promise<string> {
  let stdout = '';
  const code = await runCli(['completion', shell], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: () => true },
    env: {},
    homeDir: tmpdir(),
    cwd: tmpdir(),
    moduleDir: __dirname,
  });
  expect(code).toBe(ExitCode.Ok);
  return stdout;
}

let dir: string;
const files: Record<string, string> = {};
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'm2m-completion-'));
  for (const shell of ['bash', 'zsh', 'fish']) {
    files[shell] = join(dir, `m2m.${shell}`);
    writeFileSync(files[shell] as string, await script(shell));
  }
  writeFileSync(join(dir, 'device.pem'), '');
  writeFileSync(join(dir, 'device.pub.pem'), '');
  writeFileSync(join(dir, 'notes.txt'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (command: string, args: readonly string[]): string =>
  execFileSync(command, args, { cwd: dir, encoding: 'utf8', timeout: SHELL_TIMEOUT_MS, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir } });

describe('bash completion', () => {
  /** What _m2m offers for the words bash would pass it, the last one being completed. */
  const complete = (...words: string[]): string[] =>
    run('bash', [
      '-c',
      `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}; _m2m; printf '%s\\n' "\${COMPREPLY[@]}"`,
      files['bash'] as string,
      ...words,
    ])
      .split('\n')
      .filter((line) => line !== '');

  it('completes commands and groups from the parser, and the commands of a group', () => {
    const top = [...new Set(COMMANDS.map((c) => c.path[0]))];
    expect(complete('m2m', '')).toEqual(top);
    expect(complete('m2m', 'devices', 'l')).toEqual(['list', 'lock', 'lockout']);
    expect(complete('m2m', 'audit', '')).toEqual(['query', 'export', 'verify', 'proof']);
  }, SHELL_TIMEOUT_MS);

  it("completes a command's own options and the global ones, and --version only for m2m itself", () => {
    expect(complete('m2m', 'devices', 'list', '--')).toEqual(['--status', '--limit', '--cursor', '--url', '--api-key', '--audience', '--timeout', '--config', '--json', '--help']);
    expect(complete('m2m', 'devices', 'get', 'scanner-3', '--d')).toEqual(['--device']);
    expect(complete('m2m', '--v')).toEqual(['--version']);
    expect(complete('m2m', 'keygen', '--v')).toEqual([]);
  }, SHELL_TIMEOUT_MS);

  it('completes the values of options with a fixed set, in either spelling, colons and all', () => {
    expect(complete('m2m', 'devices', 'list', '--status', '')).toEqual(['active', 'revoked']);
    expect(complete('m2m', 'devices', 'list', '--status', '=', 're')).toEqual(['revoked']);
    expect(complete('m2m', 'audit', 'export', '--format', '')).toEqual(['jsonld', 'xml', 'csv']);
    expect(complete('m2m', 'audit', 'query', '--action', 'D')).toEqual(['DELETE']);
    // Bash splits devices:r at the colon and replaces only what follows it.
    expect(complete('m2m', 'api-keys', 'create', '--scope', 'devices', ':', 'w')).toEqual(['write']);
    expect(complete('m2m', 'api-keys', 'create', '--scope', '')).toEqual(['devices:read', 'devices:write', 'audit:read', 'keys:admin']);
    expect(complete('m2m', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
  }, SHELL_TIMEOUT_MS);

  it('completes files where a path is wanted, and nothing for free text', () => {
    expect(complete('m2m', 'keygen', '--out', 'dev').sort()).toEqual(['device.pem', 'device.pub.pem']);
    expect(complete('m2m', 'keygen', '-o', 'n')).toEqual(['notes.txt']);
    expect(complete('m2m', 'audit', 'verify', 'no')).toEqual(['notes.txt']);
    expect(complete('m2m', 'devices', 'register', '--device', '')).toEqual([]);
  }, SHELL_TIMEOUT_MS);
});

describe('fish completion', () => {
  /** What fish offers for a command line, without descriptions. */
  const complete = (line: string): string[] =>
    run('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', files['fish'] as string, line])
      .split('\n')
      .filter((entry) => entry !== '')
      .map((entry) => entry.split('\t')[0] as string);

  it('parses', () => {
    expect(run('fish', ['--no-execute', files['fish'] as string])).toBe('');
  }, SHELL_TIMEOUT_MS);

  it('completes commands, options and their values', () => {
    expect(complete('m2m devices l')).toEqual(['list', 'lock', 'lockout']);
    expect(complete('m2m devices list --status ')).toEqual(['active', 'revoked']);
    expect(complete('m2m api-keys create --scope dev')).toEqual(['devices:read', 'devices:write']);
    expect(complete('m2m keygen --out dev')).toEqual(['device.pem', 'device.pub.pem']);
    expect(complete('m2m devices register --pu')).toEqual(['--public-key']);
    expect(complete('m2m --vers')).toEqual(['--version']);
    expect(complete('m2m keygen --vers')).toEqual([]);
  }, SHELL_TIMEOUT_MS);
});

describe('zsh completion', () => {
  /**
   * What _m2m hands to zsh's completion system for `words` (the cursor on the
   * last): _arguments and _describe stand in, printing what they were given.
   */
  const handed = (...words: string[]): string[] =>
    run('zsh', [
      '-f',
      '-c',
      `compdef() { :; }
_arguments() { print -rl -- "arguments:" "$@"; }
_describe() { print -rl -- "describe: $3" \${(P)4}; }
source "$0"; words=("$@"); CURRENT=$#words; _m2m`,
      files['zsh'] as string,
      ...words,
    ])
      .split('\n')
      .filter((line) => line !== '');

  it('parses', () => {
    expect(run('zsh', ['-n', files['zsh'] as string])).toBe('');
  }, SHELL_TIMEOUT_MS);

  it('describes the commands of a group', () => {
    expect(handed('m2m', 'devices', 'l')).toEqual([
      "describe: m2m devices command",
      ...COMMANDS.filter((c) => c.path[0] === 'devices').map((c) => `${c.path[1]}:${c.summary}`),
    ]);
  }, SHELL_TIMEOUT_MS);

  it("gives _arguments a command's options with their values, and its arguments", () => {
    const list = handed('m2m', 'devices', 'list', '--status', '');
    expect(list[0]).toBe('arguments:');
    expect(list).toContain('--status=[active or revoked]:STATUS:(active revoked)');
    expect(list).toContain('--config=[config file (env M2M_CONFIG; default ~/.config/m2m/config.json)]:FILE:_files');
    expect(list).toContain('(--help -h)-h[show help]');
    expect(handed('m2m', 'api-keys', 'create', '')).toContain(
      '*--scope=[a scope the key holds; repeat for more (devices:read, devices:write, audit:read, keys:admin)]:SCOPE:(devices\\:read devices\\:write audit\\:read keys\\:admin)',
    );
    expect(handed('m2m', 'audit', 'verify', '')).toContain('1:FILE:_files');
  }, SHELL_TIMEOUT_MS);
});
