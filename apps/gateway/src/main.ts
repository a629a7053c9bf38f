import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';

import {
  ConfigError,
  createLogger,
  loadConfig,
  Metrics,
  PinoNestLogger,
  registerHttpObservability,
  requestIdFor,
  resolveAdminApiKey,
  ServiceAudience,
} from '@m2m-trust/shared-platform';

import { AppModule } from './app.module';
import { GrpcServer } from './grpc/grpc.server';
import { setupOpenApi } from './openapi';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const adminApiKey = resolveAdminApiKey(config);
  const metrics = new Metrics();
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One access line per request comes from registerHttpObservability instead.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    bodyLimit: config.http.bodyLimitBytes,
    return503OnClosing: true,
    // Device ids are up to 128 characters; Fastify's default would answer 414 before that.
    routerOptions: { maxParamLength: 256 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ config, adminApiKey, metrics }), adapter, {
    logger: new PinoNestLogger(logger),
  });
  const fastify = app.getHttpAdapter().getInstance();
  // The API speaks JSON only: anything else is 415, not a string body that fails validation.
  fastify.removeContentTypeParser(['text/plain']);
  registerHttpObservability(fastify, metrics, logger);
  setupOpenApi(app);
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
  if (adminApiKey.generated) {
    // Printed this once, on the start that generated it; afterwards only the file is named.
    process.stdout.write(
      `\n  m2m-trust is listening on ${url}\n  Admin API key (generated, kept in ${adminApiKey.file}):\n\n    ${adminApiKey.key.reveal()}\n\n`,
    );
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
