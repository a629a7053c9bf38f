import 'reflect-metadata';

import { GrpcServer } from '@m2m-trust/shared-grpc-server';
import {
  type AdminApiKey,
  type AppConfig,
  ConfigError,
  configuredVariables,
  createLogger,
  endLogs,
  loadConfig,
  Metrics,
  PinoNestLogger,
  type PlatformOptions,
  preRouteErrorOptions,
  refuseUnroutedMethods,
  registerHttpObservability,
  requestIdFor,
  resolveAdminApiKey,
  retiredVariableWarnings,
  ServiceAudience,
  unknownVariableMessage,
  unknownVariables,
  useJsonBodies,
  usesPrettyLogs,
} from '@m2m-trust/shared-platform';

import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';

import { type BannerLink, bannerText } from './banner';
import { assertCanListen, portUnavailable, PortUnavailableError } from './port-probe';

const SHUTDOWN_DEADLINE_MS = 10_000;
/** Device ids are up to 128 characters; Fastify's default would answer 414 before that. */
const ROUTER_OPTIONS = { maxParamLength: 256 };

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
  /**
   * The pages a person starting this process is pointed to (the gateway: its
   * docs and OpenAPI document; the console joins here once it exists). With
   * them, a start with readable logs prints a short banner.
   */
  readonly banner?: readonly BannerLink[];
}

export interface StartedService {
  readonly app: NestFastifyApplication;
  readonly url: string;
  readonly logger: Logger;
  readonly config: AppConfig;
  readonly adminApiKey: AdminApiKey;
}

/**
 * How every process of m2m-trust starts: config read and validated once
 * (unknown M2M_* variables named), logs (JSON, or readable on a terminal),
 * the ports checked before anything else starts, Fastify with the request id
 * and access lines, HTTP then gRPC, and one "listening" line naming both;
 * logged, graceful shutdown with a deadline. Exit code 2 on bad
 * configuration, 1 on a busy port or any other failure to start.
 */
export async function startService(service: ServiceDefinition): Promise<StartedService> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, config.logFormat).child({ app: service.name });
  for (const unknown of unknownVariables()) logger.warn({ variable: unknown.name }, unknownVariableMessage(unknown));
  for (const retired of retiredVariableWarnings()) logger.warn({ variable: retired.variable }, retired.message);
  // What was set, and the effective configuration after defaults (secrets as [redacted]): what this process really uses.
  logger.debug({ settings: configuredVariables(), config }, 'configuration');
  const { host } = config.http;
  await assertCanListen(host, config.http.port, 'HTTP', 'PORT');
  await assertCanListen(host, config.grpc.port, 'gRPC', 'GRPC_PORT');
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
    routerOptions: ROUTER_OPTIONS,
    // An undecodable URL, an over-long parameter, oversized headers: problem+json too, with their own codes.
    ...preRouteErrorOptions,
  });
  if (service.beforeInit) await service.beforeInit(adapter.getInstance(), options);
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { logger: new PinoNestLogger(logger) });
  const fastify = app.getHttpAdapter().getInstance();
  // The API speaks JSON only: anything else is 415, not a string body that fails validation.
  fastify.removeContentTypeParser(['text/plain']);
  // UTF-8, nesting and lone surrogates checked before any route runs (docs/abuse-limits.md, "Input limits").
  useJsonBodies(app, config.http.bodyLimitBytes);
  registerHttpObservability(fastify, metrics, logger);
  refuseUnroutedMethods(fastify, ROUTER_OPTIONS);
  await service.configure?.(app, options);
  stopOnSignals(app, logger);
  try {
    await app.listen(config.http.port, host);
  } catch (error) {
    throw portUnavailable(error as NodeJS.ErrnoException, host, config.http.port, 'HTTP', 'PORT');
  }
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  app.get(ServiceAudience).useListeningUrl(url);
  // After HTTP, so the audience (the HTTP url unless configured) is known before any challenge over gRPC.
  const grpc = await app.get(GrpcServer).listen(logger);
  // Written whatever M2M_LOG_LEVEL says: launchers and supervisors wait for this line.
  const announce = logger.isLevelEnabled('info') ? logger : logger.child({}, { level: 'info' });
  const links = Object.fromEntries((service.banner ?? []).map((link) => [link.label.toLowerCase(), new URL(link.path, url).href]));
  announce.info({ url, grpcUrl: grpc.target, grpcTls: grpc.tls, ...links, dataDir: config.dataDir, adminApiKeyFile: adminApiKey.file }, 'listening');
  const banner = service.banner !== undefined && usesPrettyLogs(config.logFormat);
  if (banner) process.stdout.write(bannerText({ title: 'm2m-trust', url, grpcUrl: grpc.target, grpcTls: grpc.tls, links: service.banner ?? [], adminApiKeyFile: adminApiKey.file }));
  if (service.announceGeneratedKey && adminApiKey.generated) {
    // Printed this once, on the start that generated it (also with JSON logs); afterwards only the file is named.
    const where = banner ? '' : `\n  m2m-trust is listening on ${url}`;
    process.stdout.write(`${where}\n  Admin API key (generated, kept in ${adminApiKey.file}):\n\n    ${adminApiKey.key.reveal()}\n\n`);
  }
  return { app, url, logger, config, adminApiKey };
}

/**
 * SIGTERM and SIGINT: "stopping", the app closed (listeners first, then the
 * modules' shutdown hooks), "stopped", then the process ends by the same
 * signal. Graceful shutdown waits for open connections; one a client abandoned
 * without sending a request would hold it for minutes. Commits are durable as
 * they happen, so after SHUTDOWN_DEADLINE_MS the process just ends (exit code 1).
 */
function stopOnSignals(app: NestFastifyApplication, logger: Logger): void {
  const signals = ['SIGTERM', 'SIGINT'] as const;
  // A log line that cannot be written (standard output closed under us) must never keep the process from stopping.
  const note = (write: () => void): void => {
    try {
      write();
    } catch {
      // The logs are gone with their reader; stopping goes on.
    }
  };
  const stop = (signal: NodeJS.Signals): void => {
    for (const other of signals) process.removeListener(other, stop);
    // A second signal while stopping ends the process at once, by the default action. The deadline comes first.
    setTimeout(() => {
      note(() => logger.error({ signal, deadlineMs: SHUTDOWN_DEADLINE_MS }, 'not stopped in time; exiting'));
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    note(() => logger.info({ signal }, 'stopping'));
    // NestApplicationContext.close(signal) hands the signal to the shutdown hooks; the public type omits the parameter.
    (app as unknown as { close(signal: string): Promise<void> }).close(signal).then(
      () => {
        note(() => logger.info({ signal }, 'stopped'));
        endLogs(logger, () => process.kill(process.pid, signal));
      },
      (error: unknown) => {
        note(() => logger.error({ err: error, signal }, 'stopping failed'));
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, stop);
}

/** The entry point's catch: a configuration problem is one line and exit code 2; a port it cannot take, one line and 1; anything else, the stack and 1. */
export function exitOnStartFailure(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof PortUnavailableError) {
    process.stderr.write(`Cannot start: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
