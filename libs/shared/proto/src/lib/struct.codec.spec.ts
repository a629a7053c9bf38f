import { loadM2mGrpcObject } from './m2m-proto';
import { fromStruct, type JsonValue, toStruct } from './struct.codec';

describe('google.protobuf.Struct codec', () => {
  // Through the real wire format, as grpc-js encodes a Device and a client decodes it.
  const { m2m } = loadM2mGrpcObject();
  const overTheWire = (metadata: Record<string, unknown>): Record<string, JsonValue> => {
    const bytes = m2m.v1.Device.serialize({ deviceId: 'd', metadata: toStruct(metadata) });
    const decoded = m2m.v1.Device.deserialize(bytes);
    return fromStruct(decoded.metadata!);
  };

  it('round-trips every kind of JSON value', () => {
    const metadata = {
      text: 'Köln',
      count: 3,
      ratio: -0.25,
      on: true,
      off: false,
      nothing: null,
      list: ['a', 1, null, [true], { deep: 'yes' }],
      nested: { a: { b: { c: 'd' } } },
      empty: {},
      none: [],
    };
    expect(overTheWire(metadata)).toEqual(metadata);
  });

  it('round-trips an empty object', () => {
    expect(overTheWire({})).toEqual({});
  });

  it('refuses what is not JSON, naming where', () => {
    expect(() => toStruct({ a: [1, () => 2] })).toThrow('a/1: function is not a JSON value');
  });
});
