import type { MethodDefinition } from '@grpc/grpc-js';

const serialize = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const deserialize = (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8'));

/**
 * A unary method of an internal service (m2m.internal.v1.*): between the
 * project's own processes only, so not in the public m2m.v1 protos, with JSON
 * messages.
 */
export function internalJsonMethod<Request, Response>(path: string): MethodDefinition<Request, Response> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: serialize,
    requestDeserialize: deserialize as (bytes: Buffer) => Request,
    responseSerialize: serialize,
    responseDeserialize: deserialize as (bytes: Buffer) => Response,
  };
}
