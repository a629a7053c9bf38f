import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { scaled } from '../tools/jest/scale.cjs';

const ROOT = resolve(__dirname, '..');

/** Pids of the processes whose environment names `dir` in M2M_DATA_DIR. */
function serversUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.some((variable) => variable.startsWith(`M2M_DATA_DIR=${dir}/`))) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

describe('the test harness itself', () => {
  let fixtureDir: string;
  beforeAll(() => {
    fixtureDir = mkdtempSync(join(tmpdir(), 'm2m-harness-'));
  });
  afterAll(() => {
    for (const pid of serversUsing(fixtureDir)) process.kill(pid, 'SIGKILL');
    rmSync(fixtureDir, { recursive: true, force: true });
  });

  it('stops every server a suite leaves running (one from a timed-out beforeAll, one never stopped), and Jest ends', async () => {
    const result = await new Promise<{ code: number | null; output: string }>((done) => {
      execFile(
        process.execPath,
        [join(ROOT, 'node_modules/jest/bin/jest.js'), '--config', join(ROOT, 'e2e/support/fixtures/jest.config.js'), '--ci'],
        { cwd: ROOT, env: { ...process.env, M2M_FIXTURE_DIR: fixtureDir }, timeout: scaled(150_000) },
        (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? null) : 0, output: `${stdout}${stderr}` }),
      );
    });
    // The fixture fails (its hook times out) but the run ends, by itself.
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/Exceeded timeout of 1 ms for a hook/);
    expect(result.output).toMatch(/stopped 2 server process\(es\) the suite left running/);
    expect(serversUsing(fixtureDir)).toEqual([]);
  });
});
