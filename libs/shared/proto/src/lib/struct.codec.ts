import type { ListValue__Output } from '../generated/google/protobuf/ListValue';
import type { Struct, Struct__Output } from '../generated/google/protobuf/Struct';
import type { Value, Value__Output } from '../generated/google/protobuf/Value';

/** A JSON value, as device metadata is over HTTP. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * google.protobuf.Struct is protobuf's JSON object: grpcurl and other clients
 * read and write it as plain JSON. These convert between the plain object the
 * services use and the message form grpc-js (de)serialises.
 */
export function toStruct(object: Readonly<Record<string, unknown>>): Struct {
  return { fields: Object.fromEntries(Object.entries(object).map(([key, value]) => [key, toValue(value, key)])) };
}

function toValue(value: unknown, path: string): Value {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  switch (typeof value) {
    case 'boolean':
      return { boolValue: value };
    case 'number':
      return { numberValue: value };
    case 'string':
      return { stringValue: value };
    case 'object':
      return Array.isArray(value)
        ? { listValue: { values: value.map((item, i) => toValue(item, `${path}/${i}`)) } }
        : { structValue: toStruct(value as Record<string, unknown>) };
    default:
      // Metadata arrives as JSON and is stored as JSON: anything else is a bug upstream.
      throw new TypeError(`${path}: ${typeof value} is not a JSON value`);
  }
}

export function fromStruct(struct: Struct__Output): Record<string, JsonValue> {
  return Object.fromEntries(Object.entries(struct.fields).map(([key, value]) => [key, fromValue(value)]));
}

function fromValue(value: Value__Output): JsonValue {
  switch (value.kind) {
    case 'boolValue':
      return value.boolValue ?? false;
    case 'numberValue':
      return value.numberValue ?? 0;
    case 'stringValue':
      return value.stringValue ?? '';
    case 'structValue':
      return value.structValue ? fromStruct(value.structValue) : {};
    case 'listValue':
      return fromList(value.listValue);
    // A Value with no kind set reads as null, as protobuf's JSON mapping has it.
    case 'nullValue':
    case undefined:
      return null;
  }
}

const fromList = (list: ListValue__Output | null | undefined): JsonValue[] => (list ? list.values.map(fromValue) : []);
