import { ErrorCode } from '@m2m-trust/shared-domain';

import type { Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { Reflector } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';

import { isOAuthEndpointHandler } from './form-body';
import { problemTypeOf } from './problem';
import { IS_PUBLIC } from './public.decorator';
import { REQUIRED_SCOPE_EXTENSION } from './require-scope.decorator';
import { SchemaPipe } from './schema.pipe';

type Json = Record<string, unknown>;
type Operation = Json & { operationId?: string; parameters?: Json[]; responses: Record<string, Json>; security?: Json[] };

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** RFC 9457 problem details as every error answer here carries them (ProblemDetailsFilter, sendProblem). */
const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details. `code` is stable; `detail` is for people.',
  required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
  properties: {
    type: { type: 'string', description: 'A urn:m2m-trust:problem:… URN, or the EPCIS exception name (epcisException:…)' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The request path (absent when the request could not be parsed, or its path is too long to repeat)' },
    code: { type: 'string', enum: Object.values(ErrorCode) },
    requestId: { type: 'string', description: 'X-Request-Id of the request, also in the logs' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const problemContent = { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } };

const codesOf = (status: number): string =>
  Object.values(ErrorCode)
    .filter((code) => problemTypeOf(code).status === status)
    .map((code) => `\`${code}\``)
    .join(', ');

/** Answered on every operation before or around its handler: the URL, the headers, the server. */
const EVERY_OPERATION: Record<string, string> = {
  '400': 'The URL cannot be decoded (MALFORMED_URL) or the request is not valid',
  '431': 'HEADER_FIELDS_TOO_LARGE: the request header fields exceed what the server reads',
  '500': 'INTERNAL: an unexpected error; the request id names it in the logs',
  '503': 'SERVICE_UNAVAILABLE: the server is starting, stopping or overloaded (or, distributed, a service behind the gateway is down)',
};
/** Also on every operation with a path parameter. */
const WITH_PATH_PARAMETERS: Record<string, string> = {
  '404': 'The resource does not exist; ROUTE_NOT_FOUND when a parameter holds an unencoded "/" (send it as %2F) and so names no route',
  '414': 'URI_TOO_LONG: a path segment is longer than any resource accepts',
};
/** Also on every operation that takes a body. */
const WITH_BODY: Record<string, string> = {
  '413': 'PAYLOAD_TOO_LARGE: the body is larger than M2M_HTTP_BODY_LIMIT_BYTES',
  '415': 'UNSUPPORTED_MEDIA_TYPE: the body is not of a media type the operation reads',
};
/** Also on every operator write: two writers deciding on the same stream at once, past the handler's retries. */
const OPERATOR_WRITE: Record<string, string> = {
  '409': 'CONCURRENCY_CONFLICT: another change to the same resource committed first, again and again; retry (or a conflict the operation names)',
};
/** Also on every operation an operator API key calls: the per-key limit (docs/abuse-limits.md). */
const WITH_API_KEY: Record<string, string> = { '429': 'RATE_LIMITED: too many requests with this API key; see Retry-After' };

/** Shared responses, named by status; referenced where an operation documents nothing more specific. */
function responseComponents(): Record<string, Json> {
  const statuses = { ...EVERY_OPERATION, ...WITH_PATH_PARAMETERS, ...WITH_BODY, ...OPERATOR_WRITE, ...WITH_API_KEY };
  return Object.fromEntries(Object.entries(statuses).map(([status, description]) => [`Problem${status}`, { description, content: problemContent }]));
}

interface HandlerFacts {
  readonly isPublic: boolean;
  /** Its unreadable bodies are RFC 6749 invalid_request (400), not 413/415 problem+json. */
  readonly isOAuthEndpoint: boolean;
  readonly parameters: Json[];
}

/** The path and query parameters a handler validates with a SchemaPipe: its schema is what the server accepts, so it is what the document says. */
function schemaParameters(controller: Type, handlerName: string): Json[] {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handlerName) ?? {}) as Record<string, { pipes?: unknown[] }>;
  const parameters: Json[] = [];
  for (const [key, arg] of Object.entries(args)) {
    const kind = Number(key.split(':')[0]);
    const where = kind === RouteParamtypes.PARAM ? 'path' : kind === RouteParamtypes.QUERY ? 'query' : null;
    const pipe = arg.pipes?.find((candidate): candidate is SchemaPipe<unknown> => candidate instanceof SchemaPipe);
    if (!where || !pipe) continue;
    const schema = JSON.parse(JSON.stringify(pipe.schema)) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const { description, ...rest } = property;
      parameters.push({
        name,
        in: where,
        required: where === 'path' || (schema.required ?? []).includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  return parameters;
}

function handlerFacts(controllers: readonly Type[], reflector: Reflector): Map<string, HandlerFacts> {
  const facts = new Map<string, HandlerFacts>();
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      // @nestjs/swagger's operation ids: Class_method.
      facts.set(`${controller.name}_${name}`, {
        isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, controller]) === true,
        isOAuthEndpoint: isOAuthEndpointHandler(handler),
        parameters: schemaParameters(controller, name),
      });
    }
  }
  return facts;
}

function completeOperation(path: string, method: string, operation: Operation, facts: HandlerFacts | undefined): void {
  const declared = new Set((operation.parameters ?? []).map((parameter) => `${String(parameter['in'])}:${String(parameter['name'])}`));
  const added = (facts?.parameters ?? []).filter((parameter) => !declared.has(`${String(parameter['in'])}:${String(parameter['name'])}`));
  if (added.length > 0) operation.parameters = [...(operation.parameters ?? []), ...added];

  // A route nobody authenticates for says so (security: []), rather than inheriting nothing and reading as forgotten;
  // a @Public() route of a scoped controller (discovery, the binding's 501s) drops the scope and key it inherited.
  if (facts?.isPublic) {
    operation.security = (operation.security ?? []).filter((requirement) => !('apiKey' in requirement) && !('bearer' in requirement));
    delete operation[REQUIRED_SCOPE_EXTENSION];
  }
  if (operation.security) {
    const seen = new Set<string>();
    operation.security = operation.security.filter((requirement) => {
      const key = JSON.stringify(requirement);
      return seen.has(key) ? false : (seen.add(key), true);
    });
  }

  for (const [status, response] of Object.entries(operation.responses)) {
    if (Number(status) < 400 || '$ref' in response) continue;
    const content = (response['content'] ?? {}) as Json;
    // OAuth endpoints answer their refusals as RFC 6749 JSON; what the platform refuses there is still problem+json.
    if (!(PROBLEM_MEDIA_TYPE in content)) response['content'] = { ...content, ...problemContent };
  }
  const shared = {
    ...EVERY_OPERATION,
    ...(path.includes('{') ? WITH_PATH_PARAMETERS : {}),
    ...(operation['requestBody'] && !facts?.isOAuthEndpoint ? WITH_BODY : {}),
    ...((operation.security ?? []).some((requirement) => 'apiKey' in requirement) ? WITH_API_KEY : {}),
    ...(method !== 'get' && (operation.security ?? []).some((requirement) => 'apiKey' in requirement) ? OPERATOR_WRITE : {}),
  };
  for (const status of Object.keys(shared)) {
    if (!(status in operation.responses)) operation.responses[status] = { $ref: `#/components/responses/Problem${status}` };
  }
}

const PRE_ROUTE_ERRORS = `

Errors raised before a route runs are problem+json too: an undecodable URL is 400 \`MALFORMED_URL\`, a path segment
longer than 256 characters 414 \`URI_TOO_LONG\`, oversized header fields 431 \`HEADER_FIELDS_TOO_LARGE\`, bytes that
are not HTTP/1.1 400 \`MALFORMED_REQUEST\`, a method a resource does not answer (PUT on a collection, TRACE) 405
\`METHOD_NOT_ALLOWED\` with an \`Allow\` header naming those it does, a method no resource implements (CONNECT or one
the server does not know) 501 \`METHOD_NOT_IMPLEMENTED\`; an unknown path is 404 \`ROUTE_NOT_FOUND\`.
Codes by status: ${[400, 401, 403, 404, 405, 409, 413, 414, 415, 429, 431, 500, 501, 503].map((status) => `${status}: ${codesOf(status)}`).join('; ')}.`;

/**
 * What @nestjs/swagger cannot know, added to the document it generated: the
 * version its schemas need (TypeBox writes JSON Schema 2020-12: `const`, type
 * arrays), the parameters SchemaPipes validate, `security: []` on public
 * routes, and the problem+json answers every operation can give.
 */
export function completeOpenApiDocument(document: OpenAPIObject, controllers: readonly Type[], reflector: Reflector): OpenAPIObject {
  const facts = handlerFacts(controllers, reflector);
  const result = JSON.parse(JSON.stringify(document)) as OpenAPIObject & Json;
  result.openapi = '3.1.0';
  result.info = { ...result.info, description: `${result.info.description ?? ''}${PRE_ROUTE_ERRORS}`, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } as OpenAPIObject['info']['license'] };
  result.components = {
    ...result.components,
    schemas: { ...result.components?.schemas, Problem: PROBLEM_SCHEMA },
    responses: { ...result.components?.responses, ...responseComponents() },
  } as OpenAPIObject['components'];
  for (const [path, item] of Object.entries(result.paths as Record<string, Record<string, Operation>>)) {
    // A handler serving several paths gets one id per path, suffixed [0], [1], ...
    for (const [method, operation] of Object.entries(item)) {
      completeOperation(path, method, operation, operation.operationId ? facts.get(operation.operationId.replace(/\[\d+\]$/, '')) : undefined);
    }
  }
  return result;
}
