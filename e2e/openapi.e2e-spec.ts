import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { scaled } from '../tools/jest/scale.cjs';
import { type RunningServer, startServer } from './support/server';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const bin = (path: string): string => join(ROOT, 'node_modules', path);

type Json = Record<string, unknown>;
interface Operation {
  readonly method: string;
  readonly path: string;
  readonly operation: Json & { responses: Record<string, Json>; security?: Json[] };
}

function operationsOf(document: Json): Operation[] {
  return Object.entries(document['paths'] as Record<string, Record<string, Operation['operation']>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
}

/** A response as documented: a shared one is a $ref into components.responses. */
function resolveResponse(document: Json, response: Json): Json {
  const ref = response['$ref'];
  if (typeof ref !== 'string') return response;
  const name = ref.replace('#/components/responses/', '');
  return ((document['components'] as { responses: Record<string, Json> }).responses[name] ?? {}) as Json;
}

describe('GET /openapi.json', () => {
  let server: RunningServer;
  let document: Json;
  // Inside the repository (tmp/ is ignored by git), so the generated client resolves openapi-fetch from node_modules.
  const work = (() => {
    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    return mkdtempSync(join(ROOT, 'tmp', 'openapi-e2e-'));
  })();
  const documentFile = join(work, 'openapi.json');

  beforeAll(async () => {
    server = await startServer();
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as Json;
    writeFileSync(documentFile, JSON.stringify(document, null, 2));
  });
  afterAll(async () => {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('passes Redocly\'s linter with its recommended rules, without a single error or warning', async () => {
    // 3.1 because its schemas are JSON Schema 2020-12 (const, type arrays): declared 3.0 they would be invalid.
    expect(document['openapi']).toBe('3.1.0');
    writeFileSync(join(work, 'redocly.yaml'), 'extends:\n  - recommended\n');
    const lint = await run(process.execPath, [bin('@redocly/cli/bin/cli.js'), 'lint', documentFile, '--config', join(work, 'redocly.yaml'), '--format', 'json'], {
      cwd: work,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
    const report = JSON.parse(lint.stdout.slice(lint.stdout.indexOf('{'))) as { totals: Json; problems: { ruleId: string; message: string; location: unknown }[] };
    expect(report.problems.map((problem) => `${problem.ruleId}: ${problem.message} ${JSON.stringify(problem.location)}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('declares every operation\'s security: a scheme defined in components, or none said out loud', () => {
    const schemes = Object.keys((document['components'] as { securitySchemes: Json }).securitySchemes);
    expect(schemes.sort()).toEqual(['accessToken', 'apiKey', 'bearer', 'httpSignature']);
    for (const { method, path, operation } of operationsOf(document)) {
      expect([`${method} ${path}`, Array.isArray(operation.security)]).toEqual([`${method} ${path}`, true]);
      for (const requirement of operation.security ?? []) for (const name of Object.keys(requirement)) expect(schemes).toContain(name);
    }
  });

  it('documents every error answer of every operation as problem+json, with the errors raised before any route', () => {
    const problem = (document['components'] as { schemas: Record<string, { properties: { code: { enum: string[] } } }> }).schemas['Problem'];
    for (const code of ['MALFORMED_URL', 'URI_TOO_LONG', 'HEADER_FIELDS_TOO_LARGE', 'MALFORMED_REQUEST', 'METHOD_NOT_IMPLEMENTED', 'ROUTE_NOT_FOUND']) {
      expect(problem?.properties.code.enum).toContain(code);
    }
    for (const { method, path, operation } of operationsOf(document)) {
      const where = `${method} ${path}`;
      const statuses = Object.keys(operation.responses);
      // What the server answers to any request before its handler runs: a bad URL, oversized headers, failures.
      expect([where, ['400', '431', '500', '503'].filter((status) => !statuses.includes(status))]).toEqual([where, []]);
      if (path.includes('{')) expect([where, statuses]).toEqual([where, expect.arrayContaining(['414'])]);
      // An OAuth endpoint (form body) answers an unreadable body as RFC 6749's 400 invalid_request instead.
      const body = operation['requestBody'] as { content?: Json } | undefined;
      if (body && !('application/x-www-form-urlencoded' in (body.content ?? {}))) expect([where, statuses]).toEqual([where, expect.arrayContaining(['413', '415'])]);
      if ((operation.security ?? []).length > 0) expect([where, statuses]).toEqual([where, expect.arrayContaining(['401'])]);
      for (const status of statuses.filter((candidate) => Number(candidate) >= 400)) {
        const content = (resolveResponse(document, operation.responses[status] as Json)['content'] ?? {}) as Record<string, { schema?: Json }>;
        expect([where, status, content['application/problem+json']?.schema]).toEqual([where, status, { $ref: '#/components/schemas/Problem' }]);
      }
    }
  });

  it('declares every path parameter of every path, with the schema the server validates it against', () => {
    for (const { method, path, operation } of operationsOf(document)) {
      const declared = ((operation['parameters'] ?? []) as Json[]).filter((parameter) => parameter['in'] === 'path').map((parameter) => parameter['name']);
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      expect([`${method} ${path}`, declared.sort()]).toEqual([`${method} ${path}`, inPath.sort()]);
    }
    const deviceId = (document['paths'] as Record<string, Record<string, { parameters: Json[] }>>)['/v1/devices/{deviceId}']?.['get']?.parameters[0];
    expect(deviceId).toMatchObject({ name: 'deviceId', in: 'path', required: true, schema: { type: 'string', pattern: expect.any(String) } });
  });

  it('generates a typed client (openapi-typescript + openapi-fetch) that runs the device flow against the server', async () => {
    await run(process.execPath, [bin('openapi-typescript/bin/cli.js'), documentFile, '--output', join(work, 'schema.d.ts')], { cwd: work });
    copyFileSync(join(__dirname, 'support/fixtures/openapi-client/device-flow.mts'), join(work, 'device-flow.mts'));
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'], skipLibCheck: true },
        files: ['device-flow.mts'],
      }),
    );
    // The flow type-checks against what the document says, or the document is wrong.
    await run(process.execPath, [bin('typescript/bin/tsc'), '-p', join(work, 'tsconfig.json')], { cwd: work }).catch((error: { stdout?: string }) => {
      throw new Error(`the device flow does not type-check against the generated client:\n${error.stdout ?? String(error)}`);
    });
    await run(bin('.bin/esbuild'), [join(work, 'device-flow.mts'), '--format=esm', '--platform=node', `--outfile=${join(work, 'device-flow.mjs')}`], { cwd: work });
    const flow = await run(process.execPath, [join(work, 'device-flow.mjs')], {
      cwd: work,
      env: { ...process.env, M2M_URL: server.url, M2M_ADMIN_KEY: server.adminKey },
      timeout: scaled(60_000),
    });
    const result = JSON.parse(flow.stdout) as { deviceId: string; registered: Json; me: Json; refused: Json };
    expect(result.registered).toMatchObject({ status: 201, keyThumbprint: expect.any(String) });
    expect(result.me).toEqual({ status: 200, deviceId: result.deviceId, keyThumbprint: result.registered['keyThumbprint'], method: 'bearer' });
    expect(result.refused).toEqual({ status: 401, code: 'UNAUTHORIZED', challenge: expect.stringContaining('error="invalid_token"') });
  });
});
