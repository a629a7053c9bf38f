// The configuration tables of README.md ("Configuration") and
// docs/distributed.md ("Processes and configuration"), made from the variable
// map (VARIABLE_USES in libs/shared/platform/src/lib/config/config-variables.ts,
// from the build): so the docs say what the code does.
//
//   node tools/scripts/config-docs.mjs          rewrites the tables between their markers
//   node tools/scripts/config-docs.mjs --check  exits 1 when a table is not what the map says
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { ROOT, built } = require('./cluster.cjs');
const { PROCESSES, VARIABLE_USES } = built('libs/shared/platform/src/lib/config/config-variables.js');

const SHORT = { gateway: 'gateway', 'registry-service': 'registry', 'challenge-service': 'challenge', 'audit-service': 'audit' };
const code = (name) => `\`${name}\``;
const cell = (text) => text.replace(/\|/g, '\\|');

function readmeTable() {
  const rows = Object.entries(VARIABLE_USES).map(([name, use]) => {
    const readBy = [use.embedded ? '`npm start`' : null, use.distributed.length === PROCESSES.length ? 'every process' : use.distributed.map((p) => SHORT[p]).join(', ')]
      .filter(Boolean)
      .join('; distributed: ');
    return `| ${code(name)} | ${cell(use.default)} | ${cell(use.meaning)} | ${readBy} |`;
  });
  return ['| variable | default | meaning | read by |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function launcherCell(use) {
  switch (use.launcher.kind) {
    case 'forward':
      return use.launcher.to ? `passed on (to the ${use.launcher.to.map((p) => SHORT[p]).join(', ')} only)` : 'passed on';
    case 'owns':
      return `its own: ${use.launcher.note}`;
    case 'refuses':
      return 'refused: it wires this itself (exit code 2)';
  }
  throw new Error(`unknown launcher rule ${use.launcher.kind}`);
}

function distributedTable() {
  const rows = Object.entries(VARIABLE_USES)
    .filter(([, use]) => use.distributed.length > 0)
    .map(([name, use]) => `| ${code(name)} | ${PROCESSES.map((p) => (use.distributed.includes(p) ? '✓' : '')).join(' | ')} | ${cell(launcherCell(use))} |`);
  return [`| variable | ${PROCESSES.map((p) => SHORT[p]).join(' | ')} | \`npm run start:distributed\` |`, `| --- | ${PROCESSES.map(() => ':-:').join(' | ')} | --- |`, ...rows].join('\n');
}

const TABLES = [
  { file: 'README.md', marker: 'configuration-table', render: readmeTable },
  { file: join('docs', 'distributed.md'), marker: 'distributed-configuration-table', render: distributedTable },
];

const check = process.argv.includes('--check');
let stale = 0;
for (const { file, marker, render } of TABLES) {
  const path = join(ROOT, file);
  const text = readFileSync(path, 'utf8');
  const open = `<!-- ${marker}: made by tools/scripts/config-docs.mjs from the variable map; do not edit by hand -->`;
  const close = `<!-- /${marker} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${file}: markers ${open} … ${close} not found`);
  const updated = `${text.slice(0, start + open.length)}\n${render()}\n${text.slice(end)}`;
  if (updated === text) continue;
  stale++;
  if (check) process.stderr.write(`${file}: the ${marker} is not what the variable map says; run node tools/scripts/config-docs.mjs\n`);
  else writeFileSync(path, updated);
}
if (check && stale > 0) process.exit(1);
