import { join } from 'node:path';
import type { GrpcObject } from '@grpc/grpc-js';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';

import type { ProtoGrpcType as AuditProto } from '../generated/audit';
import type { ProtoGrpcType as AuthenticationProto } from '../generated/authentication';
import type { ProtoGrpcType as DeviceRegistryProto } from '../generated/device_registry';
import type { ProtoSource } from './file-descriptors';

/**
 * Where the .proto files are: libs/shared/proto/proto in the source tree, and
 * dist/libs/shared/proto/proto beside the compiled lib (the build copies them).
 */
export const M2M_PROTO_ROOT = join(__dirname, '..', '..', 'proto');

/** The API's files, relative to M2M_PROTO_ROOT: what a client loads, and what reflection serves. */
export const M2M_PROTO_FILES = ['m2m/v1/device_registry.proto', 'm2m/v1/authentication.proto', 'm2m/v1/audit.proto'] as const;

export const M2M_PROTO_SOURCES: readonly ProtoSource[] = M2M_PROTO_FILES.map((file) => ({ includeDir: M2M_PROTO_ROOT, file }));

/**
 * How messages map to JavaScript. The type generator runs with the same
 * options (libs/shared/proto/scripts/generate-types.mjs; a unit test keeps the two
 * equal): camelCase field names like the HTTP API's JSON, enums as their
 * names, unset fields as their defaults, and proto3 `optional` fields absent
 * when unset.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const satisfies Options;

/** Every service and message of package m2m.v1, typed by the generated code. */
export type M2mGrpcObject = DeviceRegistryProto & AuthenticationProto & AuditProto;

/** The API as proto-loader describes it: for a server's services and for server reflection. */
export function loadM2mPackageDefinition(): PackageDefinition {
  return loadSync([...M2M_PROTO_FILES], { ...PROTO_LOADER_OPTIONS, includeDirs: [M2M_PROTO_ROOT] });
}

export function loadM2mGrpcObject(packageDefinition: PackageDefinition = loadM2mPackageDefinition()): M2mGrpcObject {
  // The generated types describe exactly what grpc-js builds from these files with these options.
  return loadPackageDefinition(packageDefinition) as GrpcObject as unknown as M2mGrpcObject;
}
