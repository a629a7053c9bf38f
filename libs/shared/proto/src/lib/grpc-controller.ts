import type { EventMetadata } from '@m2m-trust/shared-events';

/**
 * What a gRPC controller sees of a call besides its request: the request id
 * and, for calls made with the API key, the actor. The same metadata HTTP
 * controllers get from @EventMeta(), so events record their cause alike.
 */
export type GrpcCallContext = EventMetadata;

// `string extends Name` drops the index signature generated definitions inherit from grpc.ServiceDefinition.

/** The decoded request of a method definition, as the server receives it. */
export type GrpcRequestOf<Method> = Method extends { requestDeserialize: (bytes: Buffer) => infer Request } ? Request : never;

/** The response of a method definition, as the server sends it. */
export type GrpcResponseOf<Method> = Method extends { responseSerialize: (value: infer Response) => Buffer } ? Response : never;

/**
 * A service's unary methods as controller methods (camelCase, like grpc-js
 * accepts them): request and context in, response out, errors thrown as
 * DomainError. Transport concerns (metadata, status, trailers) stay in the
 * server that adapts them, as HTTP's stay in Nest and the problem filter.
 */
export type GrpcUnaryController<Definition> = {
  readonly [Name in keyof Definition & string as string extends Name ? never : Uncapitalize<Name>]: (
    request: GrpcRequestOf<Definition[Name]>,
    context: GrpcCallContext,
  ) => Promise<GrpcResponseOf<Definition[Name]>>;
};

/** A service's server-streaming methods: the responses as an async iterable, consumed as the client reads them. */
export type GrpcServerStreamController<Definition> = {
  readonly [Name in keyof Definition & string as string extends Name ? never : Uncapitalize<Name>]: (
    request: GrpcRequestOf<Definition[Name]>,
    context: GrpcCallContext,
  ) => AsyncIterable<GrpcResponseOf<Definition[Name]>>;
};
