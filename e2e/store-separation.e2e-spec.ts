import { execFile } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { promisify } from 'node:util';

// What a built process loads, read from Node's own module cache: a process of
// one store never loads the other store's code (docs/architecture.md, "the
// store convention"). The audit service runs on PostgreSQL alone, so nothing
// of SQLite (the driver, a data-access lib's sqlite/ folder or /sqlite entry,
// the SQLite writer thread) may be among its modules; the embedded gateway
// runs on SQLite, so no data-access lib's PostgreSQL adapters may be among its.

const ROOT = resolve(__dirname, '..');
const run = promisify(execFile);

/** The files, relative to the repository, that requiring `module` (a built file) loads. */
async function loadedFiles(module: string): Promise<string[]> {
  const script = `require(${JSON.stringify(resolve(ROOT, module))}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(stdout) as string[]).map((file) => relative(ROOT, file));
}

const ours = (file: string): boolean => file.startsWith('dist/');

describe('a process loads only its own store\'s code', () => {
  it('the audit service (PostgreSQL) loads nothing of SQLite', async () => {
    const files = await loadedFiles('dist/apps/audit-service/src/audit-service.module.js');
    // It did load its own store's adapters: the list is real, not empty.
    expect(files).toContain('dist/libs/audit/data-access/src/lib/postgres/postgres-audit-log.writer.js');
    expect(files.filter((file) => file.includes('node_modules/better-sqlite3/'))).toEqual([]);
    expect(files.filter((file) => ours(file) && /\/sqlite(\/|\.js$)|\/sqlite-[^/]*\.js$/.test(file))).toEqual([]);
  });

  it('the embedded gateway (SQLite) loads no data-access lib\'s PostgreSQL adapters', async () => {
    const files = await loadedFiles('dist/apps/gateway/src/app.module.js');
    expect(files).toContain('dist/libs/audit/data-access/src/lib/sqlite/sqlite-audit-writer.thread.js');
    expect(files.filter((file) => ours(file) && /\/data-access\/src\/(postgres\.js$|lib\/postgres\/)/.test(file))).toEqual([]);
  });
});
