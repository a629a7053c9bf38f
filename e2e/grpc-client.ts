import type {
  AccessToken__Output,
  AuditClient,
  AuthenticationClient,
  Challenge__Output,
  Device,
  Device__Output,
  DeviceRegistryClient,
  ListDevicesResponse__Output,
  QueryEventsRequest,
  QueryEventsResponse__Output,
  VerifyResponse__Output,
} from '@m2m-trust/shared-proto';

import { resolve } from 'node:path';
import { type ChannelCredentials, credentials as grpcCredentials, type GrpcObject, loadPackageDefinition, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** The .proto files as a client outside the repository would have them: loaded dynamically, nothing generated. */
export const PROTO_DIR = resolve(__dirname, '../libs/shared/proto/proto');
const OPTIONS = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

type ClientConstructor<T> = new (target: string, credentials: ChannelCredentials) => T;
interface HealthClient {
  check(request: { service: string }, callback: (error: ServiceError | null, response?: { status: string }) => void): void;
  close(): void;
}

/** The answer to one unary call: the response or the status, and the trailing metadata either way. */
export type GrpcAnswer<T> =
  | { readonly ok: true; readonly value: T; readonly trailers: Metadata }
  | { readonly ok: false; readonly code: status; readonly details: string; readonly trailers: Metadata };

export const trailer = (answer: { readonly trailers: Metadata }, key: string): string | undefined => {
  const value = answer.trailers.get(key)[0];
  return typeof value === 'string' ? value : undefined;
};

/** The server's gRPC target (host:port), from its start-up line. */
export function grpcTargetOf(output: string): string {
  const match = /"grpcUrl":"([^"]+)"[^\n]*"msg":"listening"/.exec(output);
  if (!match) throw new Error(`no grpcUrl in the listening line:\n${output}`);
  return match[1] as string;
}

/** A thin grpc-js client for black-box tests, with the API key in metadata when given one. */
export class GrpcApi {
  readonly registry: DeviceRegistryClient;
  readonly authentication: AuthenticationClient;
  readonly audit: AuditClient;
  private readonly health: HealthClient;

  constructor(
    readonly target: string,
    private readonly key: string | null,
    channel: ChannelCredentials = grpcCredentials.createInsecure(),
  ) {
    const m2m = (loadPackageDefinition(loadSync(['m2m/v1/device_registry.proto', 'm2m/v1/authentication.proto', 'm2m/v1/audit.proto'], { ...OPTIONS, includeDirs: [PROTO_DIR] })) as GrpcObject)[
      'm2m'
    ] as GrpcObject;
    const v1 = m2m['v1'] as GrpcObject;
    this.registry = new (v1['DeviceRegistry'] as unknown as ClientConstructor<DeviceRegistryClient>)(target, channel);
    this.authentication = new (v1['Authentication'] as unknown as ClientConstructor<AuthenticationClient>)(target, channel);
    this.audit = new (v1['Audit'] as unknown as ClientConstructor<AuditClient>)(target, channel);
    const health = ((loadPackageDefinition(loadSync(healthProtoPath, OPTIONS))['grpc'] as GrpcObject)['health'] as GrpcObject)['v1'] as GrpcObject;
    this.health = new (health['Health'] as unknown as ClientConstructor<HealthClient>)(target, channel);
  }

  /** Metadata with the API key (when this client has one) and any extra entries. */
  metadata(extra: Record<string, string> = {}): Metadata {
    const metadata = new Metadata();
    if (this.key) metadata.set('authorization', `Bearer ${this.key}`);
    for (const [name, value] of Object.entries(extra)) metadata.set(name, value);
    return metadata;
  }

  /** Calls a unary method; resolves with its outcome once the status (and so the trailers) arrived. */
  unary<Request, Response>(
    invoke: (request: Request, metadata: Metadata, callback: (error: ServiceError | null, value?: Response) => void) => { on(event: 'status', listener: (s: { metadata: Metadata }) => void): unknown },
    request: Request,
    extra: Record<string, string> = {},
  ): Promise<GrpcAnswer<Response>> {
    return new Promise((done) => {
      let outcome: { error: ServiceError | null; value: Response | undefined } | undefined;
      const call = invoke(request, this.metadata(extra), (error, value) => (outcome = { error, value }));
      call.on('status', ({ metadata }) => {
        if (outcome?.error) done({ ok: false, code: outcome.error.code, details: outcome.error.details, trailers: metadata });
        else done({ ok: true, value: outcome?.value as Response, trailers: metadata });
      });
    });
  }

  registerDevice = (request: Parameters<DeviceRegistryClient['registerDevice']>[0], extra?: Record<string, string>) =>
    this.unary<typeof request, Device__Output>((r, m, cb) => this.registry.registerDevice(r, m, cb), request, extra);
  getDevice = (deviceId: string, extra?: Record<string, string>) =>
    this.unary<{ deviceId: string }, Device__Output>((r, m, cb) => this.registry.getDevice(r, m, cb), { deviceId }, extra);
  listDevices = (request: Parameters<DeviceRegistryClient['listDevices']>[0], extra?: Record<string, string>) =>
    this.unary<typeof request, ListDevicesResponse__Output>((r, m, cb) => this.registry.listDevices(r, m, cb), request, extra);
  revokeDevice = (request: Parameters<DeviceRegistryClient['revokeDevice']>[0], extra?: Record<string, string>) =>
    this.unary<typeof request, Device__Output>((r, m, cb) => this.registry.revokeDevice(r, m, cb), request, extra);
  initiateChallenge = (deviceId: string, extra?: Record<string, string>) =>
    this.unary<{ deviceId: string }, Challenge__Output>((r, m, cb) => this.authentication.initiateChallenge(r, m, cb), { deviceId }, extra);
  verify = (challengeId: string, signature: string, extra?: Record<string, string>) =>
    this.unary<{ challengeId: string; signature: string }, VerifyResponse__Output>(
      (r, m, cb) => this.authentication.verify(r, m, cb),
      { challengeId, signature },
      extra,
    );
  requestToken = (clientAssertion: string, extra?: Record<string, string>) =>
    this.unary<{ clientAssertion: string }, AccessToken__Output>((r, m, cb) => this.authentication.requestToken(r, m, cb), { clientAssertion }, extra);

  /** Reads a whole QueryEvents stream: the events (parsed) or the status it failed with. */
  queryEvents(request: QueryEventsRequest, extra: Record<string, string> = {}): Promise<GrpcAnswer<Record<string, unknown>[]>> {
    return new Promise((done) => {
      const events: Record<string, unknown>[] = [];
      let failure: ServiceError | undefined;
      const stream = this.audit.queryEvents(request, this.metadata(extra));
      stream.on('data', (message: QueryEventsResponse__Output) => events.push(JSON.parse(message.eventJson) as Record<string, unknown>));
      stream.on('error', (error: ServiceError) => (failure = error));
      stream.on('status', ({ metadata }: { metadata: Metadata }) => {
        if (failure) done({ ok: false, code: failure.code, details: failure.details, trailers: metadata });
        else done({ ok: true, value: events, trailers: metadata });
      });
    });
  }

  checkHealth(service = ''): Promise<{ status?: string; code: status }> {
    return new Promise((done) => this.health.check({ service }, (error, response) => done({ code: error?.code ?? status.OK, status: response?.status })));
  }

  close(): void {
    this.registry.close();
    this.authentication.close();
    this.audit.close();
    this.health.close();
  }
}

/** A gRPC device as HTTP answers it: the same fields, with the enum and Struct in their JSON forms. */
export function asHttpDevice(device: Device__Output | Device): Record<string, unknown> {
  const status = String(device.status).replace('DEVICE_STATUS_', '').toLowerCase();
  return {
    deviceId: device.deviceId,
    publicKey: device.publicKey,
    keyThumbprint: device.keyThumbprint,
    label: device.label,
    metadata: structToJson(device.metadata?.fields ?? {}),
    status,
    createdAt: device.createdAt,
    ...(device.revokedAt !== undefined ? { revokedAt: device.revokedAt } : {}),
    ...(device.revocationReason !== undefined ? { revocationReason: device.revocationReason } : {}),
  };
}

type Value = { kind?: string; [key: string]: unknown };
function structToJson(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, valueToJson(value as Value)]));
}
function valueToJson(value: Value): unknown {
  switch (value.kind) {
    case 'structValue':
      return structToJson((value['structValue'] as { fields: Record<string, unknown> }).fields);
    case 'listValue':
      return (value['listValue'] as { values: Value[] }).values.map(valueToJson);
    case 'nullValue':
      return null;
    default:
      return value[value.kind as string];
  }
}
