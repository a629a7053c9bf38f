// No two modules import each other (issue 15). Nx's lint rule already refuses a
// cycle between projects; this checks inside them, at two grains:
//  - files: no import cycle at all (madge, over the TypeScript path aliases);
//  - folders: no two sibling folders that import each other, e.g. a lib's
//    oauth/ importing tokens/ while tokens/ imports oauth/. A folder importing
//    its own parent (a module file wiring its sub-folders, a sub-folder using
//    the lib's shared helpers) is how a lib is put together, so it is allowed.
//
//   node tools/scripts/module-cycles.mjs          # exits 1 and names each cycle
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import madge from 'madge';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function findModuleCycles(directories = ['apps', 'libs']) {
  const graph = await madge(
    directories.map((directory) => join(root, directory)),
    {
      baseDir: root,
      fileExtensions: ['ts'],
      tsConfig: join(root, 'tsconfig.base.json'),
      // Tests may reach across folders to set a scene; generated code and build output are not ours to arrange.
      excludeRegExp: [/\.(spec|int-spec|e2e-spec)\.ts$/, /[\\/]generated[\\/]/, /[\\/]dist[\\/]/, /\.d\.ts$/],
      detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
    },
  );
  const files = graph.circular().map((cycle) => cycle.join(' -> '));

  const edges = new Set();
  for (const [file, imports] of Object.entries(graph.obj())) {
    for (const imported of imports) {
      const from = dirname(file);
      const to = dirname(imported);
      if (from !== to) edges.add(`${from}\n${to}`);
    }
  }
  const nested = (a, b) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  const folders = [];
  for (const edge of edges) {
    const [from, to] = edge.split('\n');
    if (from < to && !nested(from, to) && edges.has(`${to}\n${from}`)) folders.push(`${from} <-> ${to}`);
  }
  return { files, folders: folders.sort() };
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  const { files, folders } = await findModuleCycles();
  for (const cycle of files) process.stdout.write(`file cycle: ${cycle}\n`);
  for (const pair of folders) process.stdout.write(`folders importing each other: ${pair}\n`);
  if (files.length + folders.length > 0) process.exit(1);
  process.stdout.write('no import cycles between files or folders (apps, libs; tests excluded)\n');
}
