import {
  ApiKeyAuthenticator,
  APP_CONFIG,
  type AppConfig,
  ConfigError,
  HEALTH_CHECKS,
  type HealthCheck,
} from '@m2m-trust/shared-platform';
import { loadM2mGrpcObject, M2M_PROTO_SOURCES, type M2mGrpcObject, reflectionPackageDefinition } from '@m2m-trust/shared-proto';

import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import type { Logger } from 'pino';

import { GRPC_CALL_LIMITER, GrpcCallAdapter, type GrpcCallLimiter } from './grpc-call.adapter';

/** How long a shutdown waits for calls in flight (a long QueryEvents stream, say) before cutting them. */
const DRAIN_MS = 5_000;

/** One gRPC service a process serves: its full name, its definition in the m2m.v1 package, and its handlers. */
export interface GrpcServiceBinding {
  readonly name: string;
  definition(m2m: M2mGrpcObject): ServiceDefinition;
  handlers(calls: GrpcCallAdapter): UntypedServiceImplementation;
}

/** The services a process serves, provided by its composition root (the gateway serves all three; each service its own). */
export const GRPC_SERVICES = Symbol.for('m2m-trust.GrpcServices');

export interface GrpcListening {
  /** host:port as grpc-js clients and grpcurl take it. */
  readonly target: string;
  readonly tls: boolean;
}

/**
 * The gRPC API beside HTTP: a plain grpc-js server (see docs/grpc.md for why
 * not @nestjs/microservices) whose handlers are the feature libs' gRPC
 * controllers, over the same services as the HTTP controllers. Which services
 * it serves is the composition root's choice (GRPC_SERVICES). Serves
 * grpc.health.v1 and server reflection too, so grpcurl needs no .proto files.
 */
@Injectable()
export class GrpcServer implements OnModuleDestroy {
  private server: Server | null = null;
  private health: HealthImplementation | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly authenticator: ApiKeyAuthenticator,
    @Inject(HEALTH_CHECKS) private readonly checks: readonly HealthCheck[],
    @Inject(GRPC_SERVICES) private readonly services: readonly GrpcServiceBinding[],
    @Optional() @Inject(GRPC_CALL_LIMITER) private readonly limiter: GrpcCallLimiter | null = null,
  ) {}

  /** Listens on HOST:GRPC_PORT (0: any free port); called by main once HTTP listens, like registerHttpObservability. */
  async listen(logger: Logger): Promise<GrpcListening> {
    const credentials = this.credentials();
    const grpcObject = loadM2mGrpcObject();
    const calls = new GrpcCallAdapter(this.authenticator, logger, this.limiter);
    const server = new Server({
      // The same bound as HTTP bodies: a larger message is refused with RESOURCE_EXHAUSTED before it is decoded.
      'grpc.max_receive_message_length': this.config.http.bodyLimitBytes,
    });

    for (const service of this.services) server.addService(service.definition(grpcObject), service.handlers(calls));

    // Ready only once the database answers, as GET /health.
    for (const check of this.checks) await check();
    const health = new HealthImplementation({ '': 'SERVING', ...Object.fromEntries(this.services.map((service) => [service.name, 'SERVING'])) });
    health.addToServer(server);
    // Reflection describes the health service too, so `grpcurl list` shows everything the server answers.
    const healthProtoRoot = resolve(healthProtoPath, '..', '..', '..');
    const healthSource = { includeDir: healthProtoRoot, file: relative(healthProtoRoot, healthProtoPath) };
    new ReflectionService(reflectionPackageDefinition([...M2M_PROTO_SOURCES, healthSource])).addToServer(server);

    const host = this.config.http.host.includes(':') ? `[${this.config.http.host}]` : this.config.http.host;
    const port = await new Promise<number>((done, fail) =>
      server.bindAsync(`${host}:${this.config.grpc.port}`, credentials, (error, bound) =>
        error ? fail(new Error(`gRPC cannot listen on ${host}:${this.config.grpc.port} (GRPC_PORT): ${error.message}`)) : done(bound),
      ),
    );
    this.server = server;
    this.health = health;
    // A wildcard address is not one a client can dial: name the loopback one, as the HTTP url does.
    const dialHost = host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host;
    return { target: `${dialHost}:${port}`, tls: this.config.grpc.tls !== null };
  }

  /** Stops taking calls before the modules behind the handlers go away; calls in flight get DRAIN_MS to finish. */
  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    // Watchers of the health service learn first, so balancers stop sending before the port closes.
    for (const name of ['', ...this.services.map((service) => service.name)]) this.health?.setStatus(name, 'NOT_SERVING');
    await new Promise<void>((done) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        done();
      }, DRAIN_MS);
      server.tryShutdown(() => {
        clearTimeout(timer);
        done();
      });
    });
  }

  private credentials(): ServerCredentials {
    const tls = this.config.grpc.tls;
    if (!tls) return ServerCredentials.createInsecure();
    return ServerCredentials.createSsl(null, [{ cert_chain: readPem('M2M_GRPC_TLS_CERT_FILE', tls.certFile), private_key: readPem('M2M_GRPC_TLS_KEY_FILE', tls.keyFile) }], false);
  }
}

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
