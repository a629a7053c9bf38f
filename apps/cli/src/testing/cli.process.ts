import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The CLI as it is published: the one bundled file `npm run build` makes and `bin/m2m.mjs` runs. */
export const CLI = resolve(__dirname, '../../dist/m2m.cjs');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `m2m …` as a child process with exactly `env` (unset values dropped), in `cwd`: what an operator's shell sees. */
export function runCli(args: readonly string[], options: { readonly cwd: string; readonly env: Record<string, string | undefined> }): Promise<CliRun> {
  const env = Object.fromEntries(Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}
