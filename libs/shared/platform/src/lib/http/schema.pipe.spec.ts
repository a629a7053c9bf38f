import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { Type } from '@sinclair/typebox';

import { SchemaPipe } from './schema.pipe';
import { VALIDATION_HINT } from './schema-errors';

const STATUS = Type.Union([Type.Literal('active'), Type.Literal('revoked')]);

const schema = Type.Object(
  {
    status: Type.Optional(STATUS),
    scopes: Type.Optional(Type.Array(Type.Union(['read', 'write', 'admin'].map((scope) => Type.Literal(scope))))),
    level: Type.Optional(Type.String({ enum: ['low', 'high'] })),
    version: Type.Optional(Type.Literal(2)),
    key: Type.Optional(Type.String({ minLength: 4, maxLength: 8, [VALIDATION_HINT]: 'give 4 to 8 characters, e.g. abcd' })),
    name: Type.Optional(Type.String({ maxLength: 3 })),
  },
  { additionalProperties: false },
);

function refusal(value: unknown, type: 'body' | 'query' = 'body'): DomainError {
  try {
    new SchemaPipe(schema).transform(value, { type });
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe('SchemaPipe', () => {
  it('passes a valid value through', () => {
    const value = { status: 'active', scopes: ['read'], key: 'abcd' };
    expect(new SchemaPipe(schema).transform(value, { type: 'body' })).toBe(value);
  });

  it('names the allowed values of a union of literals once, not once per alternative', () => {
    const error = refusal({ status: 'gone' }, 'query');
    expect(error.code).toBe(ErrorCode.ValidationFailed);
    expect(error.details).toEqual([{ path: '/status', message: 'must be one of: active, revoked' }]);
    expect(error.message).toBe('Invalid query: /status must be one of: active, revoked');
  });

  it('names them for a value of the wrong type too, and for each bad item of an array', () => {
    expect(refusal({ status: ['active', 'revoked'] }).details).toEqual([{ path: '/status', message: 'must be one of: active, revoked' }]);
    expect(refusal({ scopes: ['read', 'root', 'sudo'] }).details).toEqual([
      { path: '/scopes/1', message: 'must be one of: read, write, admin' },
      { path: '/scopes/2', message: 'must be one of: read, write, admin' },
    ]);
  });

  it('names the allowed values of an enum and a constant', () => {
    expect(refusal({ level: 'medium' }).details).toEqual([{ path: '/level', message: 'must be one of: low, high' }]);
    expect(refusal({ version: 3 }).details).toEqual([{ path: '/version', message: 'must be 2' }]);
  });

  it("adds a schema's hint to its errors, and only to its own", () => {
    expect(refusal({ key: 'ab', name: 'long' }).details).toEqual([
      { path: '/key', message: 'must NOT have fewer than 4 characters: give 4 to 8 characters, e.g. abcd' },
      { path: '/name', message: 'must NOT have more than 3 characters' },
    ]);
  });

  it('still reports unknown and missing fields by name', () => {
    const required = new SchemaPipe(Type.Object({ id: Type.String() }, { additionalProperties: false }));
    expect(() => required.transform({ colour: 'red' }, { type: 'body' })).toThrow(
      expect.objectContaining({ details: [{ path: '/id', message: 'is required' }, { path: '/colour', message: 'unknown field "colour"' }] }),
    );
  });
});
