import { completeOpenApiDocument } from '@m2m-trust/shared-platform';

import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { ModulesContainer, NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

function documentConfig() {
  return new DocumentBuilder()
    .setTitle('m2m-trust')
    .setDescription(
      'Machine-to-machine authentication: devices register an Ed25519 public key and prove who they are by ' +
        'signing single-use challenges; every registration, authentication and revocation is an EPCIS 2.0 event. ' +
        'Errors are application/problem+json (RFC 9457) with a stable `code`; the OAuth endpoints answer their ' +
        'refusals as RFC 6749 section 5.2 says.',
    )
    .setVersion('1')
    // Relative: the document describes the server that serves it.
    .addServer('/')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An operator API key (docs/api-keys.md)' }, 'apiKey')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An operator API key sent as a bearer token' }, 'bearer')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A device access token from /v1/challenges/verify or /oauth2/token (docs/tokens.md)' },
      'accessToken',
    )
    .addSecurity('httpSignature', {
      type: 'http',
      scheme: 'Signature',
      description:
        'An RFC 9421 HTTP message signature by the device key (keyid = device id) in the Signature-Input and Signature ' +
        'fields, covering "@method", "@target-uri" and "content-digest" (docs/http-signatures.md)',
    })
    .build();
}

function controllersOf(app: INestApplication): Type[] {
  return [...app.get(ModulesContainer).values()]
    .flatMap((module) => [...module.controllers.values()].map((wrapper) => wrapper.metatype))
    .filter((metatype): metatype is Type => typeof metatype === 'function');
}

/**
 * GET /openapi.json (OpenAPI 3.1) and its UI at /docs. `documented` is the module whose routes the document
 * describes when they are not this app's own: the distributed gateway passes most routes through to the services,
 * so it documents the embedded app's module, the same public API, read in Nest's preview mode (no provider is
 * created, nothing is opened).
 */
export async function setupOpenApi(app: INestApplication, documented?: DynamicModule): Promise<void> {
  const source = documented ? await NestFactory.create(documented, new FastifyAdapter(), { preview: true, logger: false, abortOnError: false }) : app;
  try {
    const document = completeOpenApiDocument(SwaggerModule.createDocument(source, documentConfig()), controllersOf(source), new Reflector());
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
  } finally {
    if (source !== app) await source.close();
  }
}
