import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { UsageError } from './cli.error';
import { PUBLIC_KEY_HINT, publicKeyArgument } from './public-key.argument';

describe('publicKeyArgument (--public-key)', () => {
  const pair = generateKeyPairSync('ed25519');
  const hex = Buffer.from(pair.publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');
  const publicPem = pair.publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const privatePem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const privateBody = privatePem.split('\n')[1] as string;

  let dir: string;
  let notes: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-public-key-'));
    notes = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const argument = (value: string): Promise<string> => publicKeyArgument(value, dir, (note) => notes.push(note));
  const file = (name: string, content: string): string => {
    writeFileSync(join(dir, name), content, { mode: 0o600 });
    return name;
  };
  /** The refusal, checked never to quote the private key. */
  async function refusal(value: string): Promise<Error> {
    const error = await argument(value).then(
      () => null,
      (thrown: unknown) => thrown as Error,
    );
    if (error === null) throw new Error('accepted');
    expect(`${error.message}${notes.join('')}`).not.toContain(privateBody);
    return error;
  }

  it('passes 64 hex or 43 base64url characters through', async () => {
    expect(await argument(hex)).toBe(hex);
    const base64url = Buffer.from(hex, 'hex').toString('base64url');
    expect(await argument(base64url)).toBe(base64url);
  });

  it('takes hex as OpenSSL prints it, in pairs split by colons and line breaks', async () => {
    const printed = hex.replace(/(..)(?!$)/g, '$1:').replace(/(.{45})/g, '$1\n    ');
    expect(await argument(printed)).toBe(hex);
  });

  it('converts a PEM public key, pasted whole or on one line, to the raw key in hex', async () => {
    expect(await argument(publicPem)).toBe(hex);
    expect(await argument(publicPem.replace(/\n/g, ' '))).toBe(hex);
  });

  it('reads a .pem file of the public key, or a file of hex', async () => {
    expect(await argument(file('device.pub.pem', publicPem))).toBe(hex);
    expect(await argument(file('device.pub', `${hex}\n`))).toBe(hex);
    expect(notes).toEqual([]);
  });

  it('takes the public half of a private key file, saying so', async () => {
    expect(await argument(file('device.pem', privatePem))).toBe(hex);
    expect(notes).toEqual([expect.stringContaining('device.pem is a private key: registering its public half')]);
  });

  it('refuses a private key pasted on the command line, without quoting it', async () => {
    const error = await refusal(privatePem);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/private key: it was not sent.*--key FILE/);
  });

  it('refuses a key of another kind, naming it', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const error = await refusal(rsa);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain('holds a key of type rsa; devices have Ed25519 keys');
  });

  it.each([
    ['a key of the wrong length', hex.slice(2)],
    ['hex with a 0x prefix', `0x${hex}`],
    ['a path to no file', 'no-such-key.pem'],
    ['a PEM that holds no key', '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----'],
  ])('answers %s with how to give the key', async (_, value) => {
    const error = await refusal(value);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain(PUBLIC_KEY_HINT);
    expect(PUBLIC_KEY_HINT).toContain('openssl pkey -pubin -in key.pub.pem -outform DER | tail -c 32 | xxd -p -c 64');
  });

  it('answers a file that holds no key with how to give one', async () => {
    expect((await refusal(file('notes.txt', 'not a key\n'))).message).toContain(PUBLIC_KEY_HINT);
  });
});
