// Builds @m2m-trust/sdk for publishing: ES modules in dist/esm, CommonJS in
// dist/cjs, each with its type declarations, from src/index.ts and what it
// imports (tsconfig.lib.json: no Node types, no workspace aliases).
//
// Why the TypeScript compiler and not a bundler: it is already installed, and
// a dual package needs only one thing it does not do by itself, which the
// transformer below adds: explicit `.js` extensions on relative imports, which
// Node requires of ES modules (`./lib/m2m.client` -> `./lib/m2m.client.js`).
// The same specifiers are valid CommonJS, and let both declaration sets
// resolve under every moduleResolution.
//
// It also puts the repository's LICENSE beside the package and checks that
// package.json declares exactly the packages the build imports (npm pack
// runs this first, as `prepack`).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

import { assertExactDependencies, copyLicense, packagesImportedBy } from '../../../tools/scripts/package-files.mjs';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(packageRoot, 'dist');

/** `./x` -> `./x.js`, `./dir` -> `./dir/index.js`, for specifiers relative to `fromFile`. */
function withExtension(specifier, fromFile) {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return specifier;
  if (/\.(?:js|json)$/.test(specifier)) return specifier;
  const base = resolve(dirname(fromFile), specifier);
  if (existsSync(`${base}.ts`) || existsSync(`${base}.d.ts`)) return `${specifier}.js`;
  if (existsSync(join(base, 'index.ts'))) return `${specifier}/index.js`;
  throw new Error(`${fromFile}: cannot resolve ${specifier}`);
}

/**
 * Rewrites the module specifiers of imports, re-exports and `import("…")`
 * types. In declarations, imports also become `import type`: a .d.ts uses
 * every import as a type, and saying so keeps the output lint-clean.
 */
function relativeImportExtensions(context) {
  const { factory } = context;
  return (root) => {
    const declaration = root.isDeclarationFile;
    const sourcePath = root.fileName.replace(/\.d\.ts$/, '.ts');
    // `import { type A, B }` -> `import type { A, B }`: the clause carries the keyword, the specifiers drop theirs.
    const typeOnly = (clause) => {
      const bindings =
        clause.namedBindings && ts.isNamedImports(clause.namedBindings)
          ? factory.updateNamedImports(
              clause.namedBindings,
              clause.namedBindings.elements.map((e) => factory.updateImportSpecifier(e, false, e.propertyName, e.name)),
            )
          : clause.namedBindings;
      return factory.updateImportClause(clause, true, clause.name, bindings);
    };
    const literal = (node) => factory.createStringLiteral(withExtension(node.text, sourcePath));
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const clause = declaration && node.importClause ? typeOnly(node.importClause) : node.importClause;
        return factory.updateImportDeclaration(node, node.modifiers, clause, literal(node.moduleSpecifier), node.attributes);
      }
      if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        return factory.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, literal(node.moduleSpecifier), node.attributes);
      }
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        return factory.updateImportTypeNode(
          node,
          factory.updateLiteralTypeNode(node.argument, literal(node.argument.literal)),
          node.attributes,
          node.qualifier,
          ts.visitNodes(node.typeArguments, visit),
          node.isTypeOf,
        );
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(root, visit);
  };
}

function report(diagnostics) {
  if (diagnostics.length === 0) return;
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => packageRoot, getNewLine: () => '\n' };
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  process.exit(1);
}

const configFile = join(packageRoot, 'tsconfig.lib.json');
const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => report([d]) });
report(parsed.errors);

rmSync(dist, { recursive: true, force: true });
for (const [format, module, type] of [
  ['esm', ts.ModuleKind.ES2022, 'module'],
  ['cjs', ts.ModuleKind.CommonJS, 'commonjs'],
]) {
  const outDir = join(dist, format);
  const program = ts.createProgram(parsed.fileNames, { ...parsed.options, module, outDir });
  report(ts.getPreEmitDiagnostics(program));
  const emitted = program.emit(undefined, undefined, undefined, false, {
    before: [relativeImportExtensions],
    afterDeclarations: [relativeImportExtensions],
  });
  report(emitted.diagnostics);
  // Tells Node (and TypeScript) which module system the .js and .d.ts files in this folder use.
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type }, null, 2)}\n`);
}
assertExactDependencies(packageRoot, await packagesImportedBy(join(dist, 'esm', 'index.js')));
copyLicense(packageRoot);
process.stdout.write(`@m2m-trust/sdk: built ${dist}/{esm,cjs}\n`);
