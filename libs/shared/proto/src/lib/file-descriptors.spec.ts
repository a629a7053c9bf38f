import { FileDescriptorProto } from 'protobufjs/ext/descriptor';

import { buildFileDescriptors } from './file-descriptors';
import { M2M_PROTO_SOURCES } from './m2m-proto';

interface Field {
  name: string;
  number: number;
  label: number;
  type: number;
  typeName?: string;
  jsonName?: string;
  oneofIndex?: number;
  proto3Optional?: boolean;
}
interface Message {
  name: string;
  field: Field[];
  nestedType: Message[];
  oneofDecl: { name: string }[];
  options?: { mapEntry?: boolean };
}
interface File {
  name: string;
  package: string;
  dependency: string[];
  messageType: Message[];
  enumType: { name: string; value: { name: string; number: number }[] }[];
  service: { name: string; method: { name: string; inputType: string; outputType: string; serverStreaming?: boolean }[] }[];
  sourceCodeInfo?: { location: { path: number[]; leadingComments?: string }[] };
}

const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;
const LABEL_REPEATED = 3;

describe('buildFileDescriptors', () => {
  const files = new Map(
    buildFileDescriptors(M2M_PROTO_SOURCES).map((bytes) => {
      const file = FileDescriptorProto.toObject(FileDescriptorProto.decode(bytes), { arrays: true }) as File;
      return [file.name, file];
    }),
  );
  const file = (name: string): File => files.get(name)!;
  const message = (f: string, name: string): Message => file(f).messageType.find((m) => m.name === name)!;

  it('writes one descriptor per source file, named as imported, with its imports declared', () => {
    expect([...files.keys()]).toEqual([
      'google/protobuf/struct.proto',
      'm2m/v1/audit.proto',
      'm2m/v1/authentication.proto',
      'm2m/v1/device_registry.proto',
    ]);
    expect(file('m2m/v1/device_registry.proto')).toMatchObject({ package: 'm2m.v1', dependency: ['google/protobuf/struct.proto'] });
    expect(file('m2m/v1/audit.proto').dependency).toEqual([]);
    expect(file('google/protobuf/struct.proto').messageType.map((m) => m.name).sort()).toEqual(['ListValue', 'Struct', 'Value']);
  });

  it('names types fully qualified, as protoc does', () => {
    const metadata = message('m2m/v1/device_registry.proto', 'Device').field.find((f) => f.name === 'metadata')!;
    expect(metadata).toMatchObject({ type: TYPE_MESSAGE, typeName: '.google.protobuf.Struct', jsonName: 'metadata' });
    const status = message('m2m/v1/device_registry.proto', 'Device').field.find((f) => f.name === 'status')!;
    expect(status).toMatchObject({ type: TYPE_ENUM, typeName: '.m2m.v1.DeviceStatus' });
    const queryEvents = file('m2m/v1/audit.proto').service[0]!.method[0]!;
    expect(queryEvents).toMatchObject({ name: 'QueryEvents', inputType: '.m2m.v1.QueryEventsRequest', outputType: '.m2m.v1.QueryEventsResponse', serverStreaming: true });
  });

  it('keeps snake_case names with their JSON names beside them', () => {
    const fields = message('m2m/v1/device_registry.proto', 'RegisterDeviceRequest').field;
    expect(fields.map((f) => [f.name, f.jsonName, f.number])).toEqual([
      ['device_id', 'deviceId', 1],
      ['public_key', 'publicKey', 2],
      ['label', 'label', 3],
      ['metadata', 'metadata', 4],
    ]);
  });

  it('writes map fields as protoc does: a repeated <Name>Entry message marked map_entry', () => {
    const struct = message('google/protobuf/struct.proto', 'Struct');
    expect(struct.field[0]).toMatchObject({ name: 'fields', label: LABEL_REPEATED, type: TYPE_MESSAGE, typeName: '.google.protobuf.Struct.FieldsEntry' });
    expect(struct.nestedType[0]).toMatchObject({
      name: 'FieldsEntry',
      options: { mapEntry: true },
      field: [
        { name: 'key', number: 1 },
        { name: 'value', number: 2, typeName: '.google.protobuf.Value' },
      ],
    });
  });

  it('writes proto3 optional fields in their synthetic oneofs, after the real ones', () => {
    const device = message('m2m/v1/device_registry.proto', 'Device');
    expect(device.oneofDecl.map((o) => o.name)).toEqual(['_revoked_at', '_revocation_reason']);
    expect(device.field.find((f) => f.name === 'revoked_at')).toMatchObject({ proto3Optional: true, oneofIndex: 0 });
    expect(device.field.find((f) => f.name === 'label')).not.toHaveProperty('oneofIndex');
    const value = message('google/protobuf/struct.proto', 'Value');
    expect(value.oneofDecl.map((o) => o.name)).toEqual(['kind']);
  });

  it('carries the comments of services, methods, messages, fields and enum values', () => {
    const registry = file('m2m/v1/device_registry.proto');
    const comment = (path: number[]) => registry.sourceCodeInfo!.location.find((l) => l.path.join('.') === path.join('.'))?.leadingComments;
    const serviceIndex = 0;
    expect(comment([6, serviceIndex])).toContain('Operators register, inspect, list and revoke devices.');
    const deviceIndex = registry.messageType.findIndex((m) => m.name === 'Device');
    expect(comment([4, deviceIndex, 2, 0])).toContain("The device's unique id.");
    const statusIndex = registry.enumType.findIndex((e) => e.name === 'DeviceStatus');
    expect(comment([5, statusIndex, 2, 2])).toContain('Revoked: every authentication is refused.');
  });
});
