import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { PackageDefinition } from '@grpc/proto-loader';
import { common, Enum, type Field, MapField, type Method, type NamespaceBase, type ReflectionObject, Root, Service, Type } from 'protobufjs';
import { FileDescriptorProto } from 'protobufjs/ext/descriptor';

/** A .proto file by the name it is imported as (m2m/v1/audit.proto), and the directory that name is relative to. */
export interface ProtoSource {
  readonly includeDir: string;
  readonly file: string;
}

// Plain descriptor objects, as FileDescriptorProto.fromObject takes them (google/protobuf/descriptor.proto).
interface FieldDescriptor {
  name: string;
  number: number;
  label: 'LABEL_OPTIONAL' | 'LABEL_REPEATED';
  type: string;
  typeName?: string;
  jsonName: string;
  oneofIndex?: number;
  proto3Optional?: boolean;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  enumType: EnumDescriptor[];
  oneofDecl: { name: string }[];
  options?: { mapEntry: boolean };
}
interface EnumDescriptor {
  name: string;
  value: { name: string; number: number }[];
}
interface SourceLocation {
  path: number[];
  /** Required by the format; the positions are not kept, only the comments. */
  span: [number, number, number];
  leadingComments: string;
}
interface FileDescriptor {
  name: string;
  package: string;
  dependency: string[];
  messageType: MessageDescriptor[];
  enumType: EnumDescriptor[];
  service: { name: string; method: { name: string; inputType: string; outputType: string; clientStreaming: boolean; serverStreaming: boolean }[] }[];
  syntax: 'proto3';
  sourceCodeInfo: { location: SourceLocation[] };
}

// Field numbers in google/protobuf/descriptor.proto, which source locations' paths are made of.
const FILE_MESSAGE_TYPE = 4;
const FILE_ENUM_TYPE = 5;
const FILE_SERVICE = 6;
const MESSAGE_FIELD = 2;
const MESSAGE_NESTED_TYPE = 3;
const MESSAGE_ENUM_TYPE = 4;
const ENUM_VALUE = 2;
const SERVICE_METHOD = 2;

const SCALAR_TYPES: Readonly<Record<string, string>> = {
  double: 'TYPE_DOUBLE',
  float: 'TYPE_FLOAT',
  int64: 'TYPE_INT64',
  uint64: 'TYPE_UINT64',
  int32: 'TYPE_INT32',
  fixed64: 'TYPE_FIXED64',
  fixed32: 'TYPE_FIXED32',
  bool: 'TYPE_BOOL',
  string: 'TYPE_STRING',
  bytes: 'TYPE_BYTES',
  uint32: 'TYPE_UINT32',
  sfixed32: 'TYPE_SFIXED32',
  sfixed64: 'TYPE_SFIXED64',
  sint32: 'TYPE_SINT32',
  sint64: 'TYPE_SINT64',
};

/** protoc's json_name and map entry naming: drop each underscore and capitalise the letter after it. */
const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const mapEntryName = (field: string): string => `${camel(field).charAt(0).toUpperCase()}${camel(field).slice(1)}Entry`;

/**
 * The FileDescriptorProtos of .proto files, one per source file and named as
 * imported, as protoc would write them: what server reflection answers.
 *
 * Why not proto-loader's descriptors: it merges files by package, names map
 * entries `Fields` instead of `FieldsEntry`, leaves type names relative and
 * imports undeclared, and Go's strict descriptor checks (grpcurl) refuse all
 * of that ("incorrect implicit map entry name", "cannot resolve type").
 * The .proto files' comments travel as source_code_info, so `grpcurl describe`
 * shows the documentation of every service, method, message and field.
 */
export function buildFileDescriptors(sources: readonly ProtoSource[]): Buffer[] {
  const includeDirs = [...new Set(sources.map((s) => s.includeDir))];
  const root = new Root();
  root.resolvePath = (_origin, target) => {
    if (isAbsolute(target)) return target;
    const found = includeDirs.map((dir) => join(dir, target)).find((path) => existsSync(path));
    return found ?? target;
  };
  // keepCase: reflection describes the fields as written, snake_case, with their json_name beside them.
  root.loadSync(
    sources.map((s) => join(s.includeDir, s.file)),
    { keepCase: true, alternateCommentMode: true },
  );
  root.resolveAll();

  const bundled = bundledFileNames();
  const fileOf = (object: ReflectionObject): string => {
    if (object.filename) {
      const dir = includeDirs.find((d) => object.filename!.startsWith(d + sep) || object.filename!.startsWith(`${d}/`));
      if (dir !== undefined) return relative(dir, object.filename).split(sep).join('/');
    }
    const name = bundled.get(object.fullName);
    if (name === undefined) throw new Error(`cannot tell which file defines ${object.fullName}`);
    return name;
  };

  const files = new Map<string, FileDescriptor>();
  const fileFor = (object: ReflectionObject): FileDescriptor => {
    const name = fileOf(object);
    let file = files.get(name);
    if (!file) {
      const pkg = object.parent && object.parent !== root ? object.parent.fullName.slice(1) : '';
      file = { name, package: pkg, dependency: [], messageType: [], enumType: [], service: [], syntax: 'proto3', sourceCodeInfo: { location: [] } };
      files.set(name, file);
    }
    return file;
  };
  const document = (file: FileDescriptor, path: number[], comment: string | null | undefined): void => {
    if (comment) file.sourceCodeInfo.location.push({ path, span: [0, 0, 0], leadingComments: ` ${comment.split('\n').join('\n ')}\n` });
  };
  const uses = (file: FileDescriptor, type: ReflectionObject): void => {
    const name = fileOf(type);
    if (name !== file.name && !file.dependency.includes(name)) file.dependency.push(name);
  };

  const field = (file: FileDescriptor, message: Type, f: Field, oneofIndex: Map<string, number>): FieldDescriptor => {
    const base = { name: f.name, number: f.id, jsonName: camel(f.name) };
    if (f instanceof MapField) {
      return { ...base, label: 'LABEL_REPEATED', type: 'TYPE_MESSAGE', typeName: `${message.fullName}.${mapEntryName(f.name)}` };
    }
    const typed = typeOf(file, f);
    const oneof = f.partOf ? oneofIndex.get(f.partOf.name) : undefined;
    return {
      ...base,
      label: f.repeated ? 'LABEL_REPEATED' : 'LABEL_OPTIONAL',
      ...typed,
      ...(oneof !== undefined ? { oneofIndex: oneof } : {}),
      ...(f.options?.['proto3_optional'] === true ? { proto3Optional: true } : {}),
    };
  };
  const typeOf = (file: FileDescriptor, f: Field): Pick<FieldDescriptor, 'type' | 'typeName'> => {
    const scalar = SCALAR_TYPES[f.type];
    if (scalar) return { type: scalar };
    const resolved = f.resolvedType;
    if (!resolved) throw new Error(`${f.fullName}: unresolved type ${f.type}`);
    uses(file, resolved);
    return { type: resolved instanceof Enum ? 'TYPE_ENUM' : 'TYPE_MESSAGE', typeName: resolved.fullName };
  };
  const enumDescriptor = (file: FileDescriptor, e: Enum, path: number[]): EnumDescriptor => {
    document(file, path, e.comment);
    const value = Object.entries(e.values).map(([name, number], i) => {
      document(file, [...path, ENUM_VALUE, i], e.comments[name]);
      return { name, number };
    });
    return { name: e.name, value };
  };
  const messageDescriptor = (file: FileDescriptor, message: Type, path: number[]): MessageDescriptor => {
    document(file, path, message.comment);
    // Real oneofs first: protoc puts the synthetic ones of proto3 `optional` fields last.
    const oneofs = [...message.oneofsArray].sort((a, b) => Number(a.isProto3Optional) - Number(b.isProto3Optional));
    const oneofIndex = new Map(oneofs.map((o, i) => [o.name, i]));
    const nestedType: MessageDescriptor[] = [];
    for (const f of message.fieldsArray) {
      if (!(f instanceof MapField)) continue;
      const value = typeOf(file, f);
      const key = SCALAR_TYPES[f.keyType];
      if (!key) throw new Error(`${f.fullName}: map key type ${f.keyType}`);
      nestedType.push({
        name: mapEntryName(f.name),
        field: [
          { name: 'key', number: 1, label: 'LABEL_OPTIONAL', type: key, jsonName: 'key' },
          { name: 'value', number: 2, label: 'LABEL_OPTIONAL', ...value, jsonName: 'value' },
        ],
        nestedType: [],
        enumType: [],
        oneofDecl: [],
        options: { mapEntry: true },
      });
    }
    const enumType: EnumDescriptor[] = [];
    for (const nested of message.nestedArray) {
      if (nested instanceof Type) nestedType.push(messageDescriptor(file, nested, [...path, MESSAGE_NESTED_TYPE, nestedType.length]));
      else if (nested instanceof Enum) enumType.push(enumDescriptor(file, nested, [...path, MESSAGE_ENUM_TYPE, enumType.length]));
    }
    return {
      name: message.name,
      field: [...message.fieldsArray]
        .sort((a, b) => a.id - b.id)
        .map((f, i) => {
          document(file, [...path, MESSAGE_FIELD, i], f.comment);
          return field(file, message, f, oneofIndex);
        }),
      nestedType,
      enumType,
      oneofDecl: oneofs.map((o) => ({ name: o.name })),
    };
  };
  const methodDescriptor = (file: FileDescriptor, method: Method, path: number[]) => {
    if (!method.resolvedRequestType || !method.resolvedResponseType) throw new Error(`${method.fullName}: unresolved types`);
    document(file, path, method.comment);
    uses(file, method.resolvedRequestType);
    uses(file, method.resolvedResponseType);
    return {
      name: method.name,
      inputType: method.resolvedRequestType.fullName,
      outputType: method.resolvedResponseType.fullName,
      clientStreaming: method.requestStream === true,
      serverStreaming: method.responseStream === true,
    };
  };

  const visit = (namespace: NamespaceBase): void => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof Type) {
        const file = fileFor(nested);
        file.messageType.push(messageDescriptor(file, nested, [FILE_MESSAGE_TYPE, file.messageType.length]));
      } else if (nested instanceof Enum) {
        const file = fileFor(nested);
        file.enumType.push(enumDescriptor(file, nested, [FILE_ENUM_TYPE, file.enumType.length]));
      } else if (nested instanceof Service) {
        const file = fileFor(nested);
        const path = [FILE_SERVICE, file.service.length];
        document(file, path, nested.comment);
        file.service.push({ name: nested.name, method: nested.methodsArray.map((m, i) => methodDescriptor(file, m, [...path, SERVICE_METHOD, i])) });
      } else if ('nestedArray' in nested) visit(nested as NamespaceBase);
    }
  };
  visit(root);

  return [...files.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((file) => Buffer.from(FileDescriptorProto.encode(FileDescriptorProto.fromObject({ ...file, dependency: file.dependency.sort() })).finish()));
}

/** Which bundled well-known file (google/protobuf/struct.proto, ...) defines each of protobufjs' built-in types. */
function bundledFileNames(): Map<string, string> {
  const names = new Map<string, string>();
  const registry = common as unknown as Record<string, { nested?: Record<string, unknown> } | undefined>;
  for (const file of Object.keys(registry).filter((name) => name.startsWith('google/protobuf/'))) {
    const walk = (nested: Record<string, unknown> | undefined, prefix: string): void => {
      for (const [name, value] of Object.entries(nested ?? {})) {
        names.set(`${prefix}.${name}`, file);
        walk((value as { nested?: Record<string, unknown> }).nested, `${prefix}.${name}`);
      }
    };
    walk(registry[file]?.nested, '');
  }
  return names;
}

/**
 * The descriptors in the one shape @grpc/reflection reads: it indexes the
 * fileDescriptorProtos of every entry of a package definition and nothing else.
 */
export function reflectionPackageDefinition(sources: readonly ProtoSource[]): PackageDefinition {
  return {
    'file-descriptors': { format: 'Protocol Buffer 3 EnumDescriptorProto', type: {}, fileDescriptorProtos: buildFileDescriptors(sources) },
  };
}
