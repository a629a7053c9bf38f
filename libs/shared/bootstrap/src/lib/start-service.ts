import 'reflect-metadata';

import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';

import { GrpcServer } from '@m2m-trust/shared-grpc-server';
import {
  type AdminApiKey,
  type AppConfig,
  ConfigError,
  createLogger,
  loadConfig,
  Metrics,
  PinoNestLogger,
  type PlatformOptions,
  registerHttpObservability,
  requestIdFor,
  resolveAdminApiKey,
  ServiceAudience,
} from '@m2m-trust/shared-platform';

const SHUTDOWN_DEADLINE_MS = 10_000;

export interface ServiceDefinition {
  /** Names the process in its logs: gateway, registry-service, … */
  readonly name: string;
  /** The root module, from the validated config (a ConfigError thrown here ends the start with exit code 2). */
  module(options: PlatformOptions): DynamicModule;
  /** Routes that must be on Fastify before Nest's (a reverse proxy, say). */
  beforeInit?(fastify: FastifyInstance, options: PlatformOptions): Promise<void>;
  /** Extra HTTP setup once the app exists (OpenAPI, say). */
  configure?(app: NestFastifyApplication, options: PlatformOptions): void | Promise<void>;
  /** Whether to print a generated admin API key for the operator (the gateway does). */
  readonly announceGeneratedKey?: boolean;
}

export interface StartedService {
  readonly app: NestFastifyApplication;
  readonly url: string;
  readonly logger: Logger;
  readonly config: AppConfig;
  readonly adminApiKey: AdminApiKey;
}

/**
 * How every process of m2m-trust starts: config read and validated once,
 * pino JSON logs, Fastify with the request id and access lines, graceful
 * shutdown with a deadline, HTTP then gRPC, and one "listening" line naming
 * both. Exit code 2 on bad configuration, 1 on any other failure to start.
 */
export async function startService(service: ServiceDefinition): Promise<StartedService> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel).child({ app: service.name });
  const adminApiKey = resolveAdminApiKey(config);
  const metrics = new Metrics();
  const options: PlatformOptions = { config, adminApiKey, metrics };
  const module = service.module(options);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One access line per request comes from registerHttpObservability instead.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    bodyLimit: config.http.bodyLimitBytes,
    // request.ip (the rate limits' client address) comes from X-Forwarded-For only when a named proxy sent it.
    trustProxy: config.http.trustProxy.length > 0 ? [...config.http.trustProxy] : false,
    return503OnClosing: true,
    // Device ids are up to 128 characters; Fastify's default would answer 414 before that.
    routerOptions: { maxParamLength: 256 },
  });
  if (service.beforeInit) await service.beforeInit(adapter.getInstance(), options);
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { logger: new PinoNestLogger(logger) });
  const fastify = app.getHttpAdapter().getInstance();
  // The API speaks JSON only: anything else is 415, not a string body that fails validation.
  fastify.removeContentTypeParser(['text/plain']);
  registerHttpObservability(fastify, metrics, logger);
  await service.configure?.(app, options);
  app.enableShutdownHooks();
  // Graceful shutdown waits for open connections; one a client abandoned
  // without sending a request would hold it for minutes. Commits are durable
  // as they happen, so after this long the process just ends.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref());
  }
  await app.listen(config.http.port, config.http.host);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  app.get(ServiceAudience).useListeningUrl(url);
  // After HTTP, so the audience (the HTTP url unless configured) is known before any challenge over gRPC.
  const grpc = await app.get(GrpcServer).listen(logger);
  logger.info({ url, grpcUrl: grpc.target, grpcTls: grpc.tls, dataDir: config.dataDir, adminApiKeyFile: adminApiKey.file }, 'listening');
  if (service.announceGeneratedKey && adminApiKey.generated) {
    // Printed this once, on the start that generated it; afterwards only the file is named.
    process.stdout.write(
      `\n  m2m-trust is listening on ${url}\n  Admin API key (generated, kept in ${adminApiKey.file}):\n\n    ${adminApiKey.key.reveal()}\n\n`,
    );
  }
  return { app, url, logger, config, adminApiKey };
}

/** The entry point's catch: a configuration problem is one line and exit code 2; anything else, the stack and 1. */
export function exitOnStartFailure(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
