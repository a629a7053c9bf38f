import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

import { EPCIS_SHARED, expectValidEpcis } from './epcis-schema';

/**
 * GS1's EPCIS 2.0 REST binding (openapi.yaml in shared/ beside the
 * repository) as a test oracle: the paths and methods it defines, and the
 * schemas of its answers, checked with ajv; XML answers with xmllint against
 * GS1's query XSD.
 */
type Json = Record<string, unknown>;
interface Binding {
  readonly paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  readonly components: { readonly responses: Record<string, Json>; readonly schemas: Record<string, unknown> };
}

let binding: Binding | undefined;
export function bindingDocument(): Binding {
  binding ??= parse(readFileSync(resolve(EPCIS_SHARED, 'openapi/openapi.yaml'), 'utf8')) as Binding;
  return binding;
}

const STUB_URL = 'https://gs1.github.io/EPCIS/REST%20Bindings/JSON-Schema-Stub.json';
let ajv: Ajv | undefined;
function validatorHost(): Ajv {
  if (!ajv) {
    // OpenAPI 3.0 keywords (example, xml, externalDocs) are not JSON Schema: strict mode off ignores them.
    ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
    ajv.addSchema(JSON.parse(readFileSync(resolve(EPCIS_SHARED, 'openapi/JSON-Schema-Stub.json'), 'utf8')), STUB_URL);
  }
  return ajv;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options', 'head'] as const;

/** Every [path, method] the binding defines, but those of the given path prefixes. */
export function bindingOperations(except: readonly string[] = []): [path: string, method: string][] {
  const out: [string, string][] = [];
  for (const [path, item] of Object.entries(bindingDocument().paths)) {
    if (except.some((prefix) => path.startsWith(prefix))) continue;
    for (const method of HTTP_METHODS) if (item[method]) out.push([path, method]);
  }
  return out;
}

/** The binding's response object of an operation for a status, with a `$ref` to a shared response followed. */
export function bindingResponse(path: string, method: string, status: number): Json | undefined {
  const operation = bindingDocument().paths[path]?.[method];
  const response = operation?.responses?.[String(status)] as Json | undefined;
  if (!response) return undefined;
  const ref = response['$ref'];
  return typeof ref === 'string' ? bindingDocument().components.responses[ref.replace('#/components/responses/', '')] : response;
}

/** The statuses the binding documents for an operation. */
export const documentedStatuses = (path: string, method: string): number[] =>
  Object.keys(bindingDocument().paths[path]?.[method]?.responses ?? {}).map(Number);

/**
 * Asserts that a body validates against the schema the binding gives for this
 * operation, status and media type (the binding's own components, GS1's JSON
 * Schema stub for its external references).
 */
export function expectBindingSchema(path: string, method: string, status: number, mediaType: string, body: unknown): void {
  const response = bindingResponse(path, method, status);
  const content = (response?.['content'] as Record<string, { schema?: unknown }> | undefined)?.[mediaType];
  if (!content?.schema) throw new Error(`the binding gives no ${mediaType} schema for ${method.toUpperCase()} ${path} ${status}`);
  const validate = validatorHost().compile({ ...(content.schema as Json), components: bindingDocument().components });
  if (!validate(body)) throw new Error(`${method.toUpperCase()} ${path} ${status} (${mediaType}) does not match the binding: ${JSON.stringify(validate.errors, null, 2)}`);
}

/** The headers the binding lists on an operation's answer for a status. */
export function bindingHeaders(path: string, method: string, status: number): string[] {
  return Object.keys((bindingResponse(path, method, status)?.['headers'] as Json | undefined) ?? {});
}

/** A problem+json answer, checked against the binding's schema for it; its `instance` reference resolved against the request (RFC 9457 §3.1.5). */
export function expectBindingProblem(path: string, method: string, status: number, body: Json, requestUrl: string): void {
  const instance = typeof body['instance'] === 'string' ? new URL(body['instance'], requestUrl).href : undefined;
  expectBindingSchema(path, method, status, 'application/problem+json', { ...body, ...(instance ? { instance } : {}) });
}

/** An EPCISQueryDocument in JSON: valid against GS1's EPCIS 2.0 JSON Schema. */
export const expectValidQueryDocument = (body: unknown): void => expectValidEpcis(body);

/** An EPCISQueryDocument in XML: `xmllint --schema` against GS1's EPCIS 2.0 query XSD must say it validates. */
export async function expectValidQueryXml(xml: string): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'm2m-epcis-xml-')), 'answer.xml');
  writeFileSync(file, xml);
  // xmllint comes from Debian's libxml2-utils, which .ci/run installs.
  const { stderr } = await promisify(execFile)('xmllint', ['--noout', '--schema', resolve(EPCIS_SHARED, 'xsd/EPCglobal-epcis-query-2_0.xsd'), file]);
  if (!/answer\.xml validates/.test(stderr)) throw new Error(`xmllint: ${stderr}`);
}
