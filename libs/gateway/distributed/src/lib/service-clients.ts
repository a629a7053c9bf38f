import { DEVICE_PROPAGATION_SERVICE, type DeviceStanding } from '@m2m-trust/challenge-feature';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import type { EventMetadata } from '@m2m-trust/shared-events';
import { ADMIN_API_KEY, type AdminApiKey, APP_CONFIG, type AppConfig, requireDistributed } from '@m2m-trust/shared-platform';
import {
  type AuditClient,
  type AuthenticationClient,
  type DeviceRegistryClient,
  ERROR_CODE_TRAILER,
  loadM2mGrpcObject,   type QueryEventsRequest__Output,
  type QueryEventsResponse__Output,
REQUEST_ID_METADATA } from '@m2m-trust/shared-proto';

import { type Client, credentials, makeGenericClientConstructor, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';

/** A call that takes longer than this answers 503: the caller may retry (every command is idempotent or refused the second time). */
const CALL_DEADLINE_MS = 10_000;

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

type Callback = (error: ServiceError | null, response?: unknown) => void;
type UnaryMethod = (request: object, metadata: Metadata, options: { deadline: Date }, callback: Callback) => unknown;

/**
 * The gateway's gRPC clients of the registry and challenge services (the
 * public m2m.v1 protos, plus the internal propagation barrier). Calls carry
 * the caller's request id and the shared admin key; errors come back as the
 * same DomainError the service raised (its code travels in trailing metadata),
 * and an unreachable service is SERVICE_UNAVAILABLE.
 */
@Injectable()
export class ServiceClients implements OnModuleDestroy {
  readonly registry: DeviceRegistryClient;
  readonly authentication: AuthenticationClient;
  /** The audit service's m2m.v1.Audit, when M2M_AUDIT_GRPC_URL names it. */
  readonly audit: AuditClient | null;
  private readonly propagation: Client;
  private readonly adminKey: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, @Inject(ADMIN_API_KEY) adminKey: AdminApiKey) {
    const urls = requireDistributed(config, ['registryGrpcUrl', 'challengeGrpcUrl', 'auditUrl']);
    const { m2m } = loadM2mGrpcObject();
    const insecure = credentials.createInsecure();
    this.registry = new m2m.v1.DeviceRegistry(urls.registryGrpcUrl, insecure);
    this.authentication = new m2m.v1.Authentication(urls.challengeGrpcUrl, insecure);
    this.audit = urls.auditGrpcUrl ? new m2m.v1.Audit(urls.auditGrpcUrl, insecure) : null;
    const Propagation = makeGenericClientConstructor(DEVICE_PROPAGATION_SERVICE, 'DevicePropagation');
    this.propagation = new Propagation(urls.challengeGrpcUrl, insecure);
    this.adminKey = adminKey.key.reveal();
  }

  onModuleDestroy(): void {
    this.registry.close();
    this.authentication.close();
    this.audit?.close();
    this.propagation.close();
  }

  /** Ready when both gRPC services accept a connection and the audit service answers its health check. */
  async ready(): Promise<void> {
    const deadline = new Date(Date.now() + 2_000);
    await Promise.all(
      [this.registry, this.authentication].map(
        (client) => new Promise<void>((resolve, reject) => client.waitForReady(deadline, (error) => (error ? reject(error) : resolve()))),
      ),
    );
    const response = await fetch(new URL('/health', this.config.distributed.auditUrl ?? ''), { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) throw new Error(`audit service answered ${response.status}`);
  }

  /** m2m.v1.Audit/QueryEvents passed through to the audit service, message by message, as the client reads them. */
  async *queryEvents(request: QueryEventsRequest__Output, meta: EventMetadata): AsyncIterable<QueryEventsResponse__Output> {
    if (!this.audit) throw new DomainError(ErrorCode.RouteNotFound, 'This gateway does not serve m2m.v1.Audit (M2M_AUDIT_GRPC_URL is unset); use /epcis/* over HTTP');
    const metadata = new Metadata();
    // The gateway checked the caller's key before this call, as for every api-key method.
    metadata.set('authorization', `Bearer ${this.adminKey}`);
    if (meta.requestId) metadata.set(REQUEST_ID_METADATA, meta.requestId);
    const stream = this.audit.QueryEvents(request, metadata);
    try {
      for await (const message of stream) yield message as QueryEventsResponse__Output;
    } catch (error) {
      throw toDomainError('audit', error as ServiceError);
    } finally {
      stream.cancel();
    }
  }

  /** One unary call with deadline, metadata and error mapping. */
  call<Response>(service: string, client: Client, method: string, request: object, meta: EventMetadata): Promise<Response> {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${this.adminKey}`);
    if (meta.requestId) metadata.set(REQUEST_ID_METADATA, meta.requestId);
    return new Promise((resolve, reject) => {
      const unary = (client as unknown as Record<string, UnaryMethod>)[method] as UnaryMethod;
      unary.call(client, request, metadata, { deadline: new Date(Date.now() + CALL_DEADLINE_MS) }, (error, response) => {
        if (error) reject(toDomainError(service, error));
        else resolve(response as Response);
      });
    });
  }

  /**
   * The read-your-writes barrier: resolves once every challenge-service
   * instance sees the device at this standing; otherwise SERVICE_UNAVAILABLE
   * saying that the change itself is recorded.
   */
  async awaitDevice(deviceId: string, standing: DeviceStanding, meta: EventMetadata): Promise<void> {
    const timeoutMs = this.config.distributed.propagationTimeoutMs;
    const { reached } = await this.call<{ reached: boolean }>('challenge', this.propagation, 'AwaitDevice', { deviceId, standing, timeoutMs }, meta);
    if (!reached) {
      throw new DomainError(
        ErrorCode.ServiceUnavailable,
        `The change to device ${deviceId} is recorded but has not reached the challenge service within ${timeoutMs} ms; repeat the request to wait again`,
      );
    }
  }
}

function toDomainError(service: string, error: ServiceError): DomainError {
  const code = error.metadata?.get(ERROR_CODE_TRAILER)[0];
  if (typeof code === 'string' && KNOWN_CODES.has(code)) return new DomainError(code as ErrorCode, error.details);
  if (error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED || error.code === status.CANCELLED) {
    return new DomainError(ErrorCode.ServiceUnavailable, `The ${service} service is unavailable; retry shortly`);
  }
  return new DomainError(ErrorCode.Internal, `The ${service} service failed (${status[error.code] ?? error.code})`);
}
