import { authenticationBinding, AuthenticationGrpcController, RemoteChallengeModule } from '@m2m-trust/challenge-feature';
import { auditPassthroughBinding, DistributedClientsModule, RemoteAuthenticator, RemoteDeviceDirectory, ServiceClients } from '@m2m-trust/gateway-distributed';
import { deviceRegistryBinding, DeviceRegistryGrpcController, RemoteRegistryModule } from '@m2m-trust/registry-feature';
import { isDomainError } from '@m2m-trust/shared-domain';
import { GRPC_SERVICES, GrpcServer, type GrpcServiceBinding, RemoteApiKeyVerifierModule } from '@m2m-trust/shared-grpc-server';
import { type AppConfig, FORM_BODY_ROUTE_CONFIG, PlatformModule, type PlatformOptions, requireDistributed, sendProblem } from '@m2m-trust/shared-platform';
import { clientAddressKey, RateLimitModule, RateLimits, type RateLimitStoreChoice } from '@m2m-trust/shared-rate-limit';

import { type IncomingMessage, request as httpRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from '@fastify/http-proxy';
import replyFrom from '@fastify/reply-from';
import { type DynamicModule, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A gateway is distributed when it is told where the services are (all of them, or start refuses). */
export const isDistributedGateway = (config: AppConfig): boolean =>
  config.distributed.registryGrpcUrl !== null || config.distributed.challengeGrpcUrl !== null || config.distributed.auditUrl !== null;

/**
 * /epcis/* is the audit service's own HTTP API, passed through as it is
 * (queries, SSE subscriptions, streamed exports, Link headers); the audit
 * service checks the API key. Registered on Fastify before Nest's routes.
 */
export async function proxyAuditService(fastify: FastifyInstance, config: AppConfig): Promise<void> {
  const { auditUrl } = requireDistributed(config, ['registryGrpcUrl', 'challengeGrpcUrl', 'auditUrl', 'challengeUrl', 'registryUrl']);
  await fastify.register(httpProxy, {
    upstream: auditUrl,
    prefix: '/epcis',
    rewritePrefix: '/epcis',
    replyOptions: {
      // The gateway's request id goes along, so one id names the request in both services' logs.
      rewriteRequestHeaders: (request, headers) => ({ ...headers, 'x-request-id': String(request.id) }),
    },
  });
  fastify.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => passUpgradeThrough(new URL(auditUrl), request, socket, head));
}

/**
 * A response's status line and headers as they go over the wire. A refusal
 * is sent with its body until the connection closes, so its own framing
 * headers are left out; a 101 keeps all of its headers (Upgrade, Connection).
 */
function responseHead(response: IncomingMessage, refusal: boolean): string {
  const lines = [`HTTP/1.1 ${response.statusCode ?? 502} ${response.statusMessage ?? ''}`];
  for (let i = 0; i < response.rawHeaders.length; i += 2) {
    const name = response.rawHeaders[i] as string;
    if (refusal && FRAMING_HEADERS.includes(name.toLowerCase())) continue;
    lines.push(`${name}: ${response.rawHeaders[i + 1] ?? ''}`);
  }
  if (refusal) lines.push('connection: close');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const FRAMING_HEADERS = ['transfer-encoding', 'connection', 'keep-alive', 'content-length'];

/**
 * A WebSocket handshake to /epcis/* (the binding's subscriptions on
 * /epcis/queries/{name}/events) goes to the audit service as it came, and its
 * answer comes back as it is: the 101 and then the two sockets joined, or a
 * refusal (401, 404, 400 as problem+json) answered and closed. The audit
 * service checks the key, as for every /epcis request.
 */
function passUpgradeThrough(upstream: URL, request: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  if (!request.url?.startsWith('/epcis/')) {
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  // A connection of its own (agent: false): a handshake becomes the socket, so it never goes back to a pool; taken from
  // Node's keep-alive pool it could be one the audit service has just closed (after a refusal), and fail as a 502.
  const outgoing = httpRequest({ host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers, agent: false });
  outgoing.on('upgrade', (response, upstreamSocket, upstreamHead) => {
    upstreamSocket.on('error', () => socket.destroy());
    socket.on('close', () => upstreamSocket.destroy());
    upstreamSocket.on('close', () => socket.destroy());
    socket.write(responseHead(response, false));
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) upstreamSocket.write(head);
    upstreamSocket.pipe(socket).pipe(upstreamSocket);
  });
  outgoing.on('response', (response) => {
    // Refused: the answer goes back with its body, delimited by closing the connection.
    socket.write(responseHead(response, true));
    response.pipe(socket);
  });
  outgoing.on('error', () => socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n'));
  outgoing.end();
}

/**
 * /v1/api-keys* is the registry service's own HTTP API (it owns the API
 * keys), passed through as it is; the registry service checks the API key
 * and its keys:admin scope. Registered on Fastify before Nest's routes.
 */
export async function proxyRegistryService(fastify: FastifyInstance, config: AppConfig): Promise<void> {
  const { registryUrl } = requireDistributed(config, ['registryUrl']);
  await fastify.register(httpProxy, {
    upstream: registryUrl,
    prefix: '/v1/api-keys',
    rewritePrefix: '/v1/api-keys',
    replyOptions: {
      rewriteRequestHeaders: (request, headers) => ({ ...headers, 'x-request-id': String(request.id) }),
    },
  });
}

/**
 * The challenge service's own HTTP routes, passed through as they are: the
 * access-token keys and OAuth metadata, the token and introspection endpoints,
 * a device's GET /v1/me, and lockouts. The challenge service checks API keys,
 * client assertions, bearer tokens and signatures itself (its M2M_AUDIENCE and
 * M2M_TOKEN_ISSUER name this gateway); the gateway keeps the per-address
 * limit of the token endpoint and of GET /v1/me, since only it sees the client's address.
 */
export async function proxyChallengeService(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const { challengeUrl } = requireDistributed(config, ['challengeUrl']);
  const fastify = app.getHttpAdapter().getInstance();
  const limits = app.get(RateLimits);
  await fastify.register(replyFrom, { base: challengeUrl });
  const forward = (request: FastifyRequest, reply: FastifyReply): void => {
    void reply.from(request.url, { rewriteRequestHeaders: (_, headers) => ({ ...headers, 'x-request-id': String(request.id) }) });
  };
  const byAddress = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      await limits.consume('address', clientAddressKey(request.ip));
    } catch (error) {
      if (!isDomainError(error)) throw error;
      sendProblem(request, reply, error);
    }
  };
  // Bodies go through as the byte stream they are, whatever their type (the token endpoint takes form bodies).
  const raw = { bodyLimit: config.http.bodyLimitBytes };
  const form = { ...raw, config: FORM_BODY_ROUTE_CONFIG };
  fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    scope.get('/.well-known/jwks.json', forward);
    scope.get('/.well-known/oauth-authorization-server', forward);
    scope.post('/oauth2/token', { ...form, preHandler: byAddress }, forward);
    scope.post('/oauth2/introspect', form, forward);
    // Device-authenticated: the address is counted here, the device by the challenge service once it verified the credential.
    scope.get('/v1/me', { preHandler: byAddress }, forward);
    scope.get('/v1/devices/:deviceId/lockout', forward);
    scope.post('/v1/devices/:deviceId/lock', raw, forward);
    scope.post('/v1/devices/:deviceId/unlock', raw, forward);
  });
}

@Module({
  imports: [
    RemoteRegistryModule.using(RemoteDeviceDirectory),
    RemoteChallengeModule.using(RemoteAuthenticator),
  ],
  providers: [
    {
      provide: GRPC_SERVICES,
      useFactory: (registry: DeviceRegistryGrpcController, authentication: AuthenticationGrpcController, clients: ServiceClients): GrpcServiceBinding[] => [
        deviceRegistryBinding(registry),
        authenticationBinding(authentication),
        ...(clients.audit ? [auditPassthroughBinding(clients)] : []),
      ],
      inject: [DeviceRegistryGrpcController, AuthenticationGrpcController, ServiceClients],
    },
    GrpcServer,
  ],
  exports: [GrpcServer],
})
class GatewayGrpcModule {}

/**
 * The gateways hold the per-address and per-API-key limits; with
 * M2M_DATABASE_URL they count in one PostgreSQL table (schema "gateway") so
 * the limits hold across instances (docs/abuse-limits.md).
 */
function rateLimitStore(config: AppConfig): RateLimitStoreChoice {
  if (config.distributed.databaseUrl) return { kind: 'postgres', defaultSchema: 'gateway', service: 'gateway' };
  return { kind: 'memory', warning: 'M2M_DATABASE_URL is not set: rate limits are counted per gateway instance, not across instances' };
}

/** The distributed gateway: the same public HTTP and gRPC API, every call answered by the services behind it. */
@Module({})
export class DistributedGatewayModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    requireDistributed(options.config, ['registryGrpcUrl', 'challengeGrpcUrl', 'auditUrl', 'challengeUrl', 'registryUrl']);
    return {
      module: DistributedGatewayModule,
      imports: [
        PlatformModule.forRoot(options),
        RateLimitModule.forRoot(options, { store: rateLimitStore(options.config), enforce: ['http', 'grpc'] }),
        DistributedClientsModule,
        // Managed API keys are the registry service's to check (docs/api-keys.md).
        RemoteApiKeyVerifierModule,
        GatewayGrpcModule,
      ],
    };
  }
}
