import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { SignJWT } from 'jose';

export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** A thin HTTP client for black-box tests: no SDK, only fetch. */
export class Api {
  constructor(
    readonly url: string,
    private readonly key: string | null,
  ) {}

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(this.key ? { authorization: `Bearer ${this.key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, headers: response.headers, body: (type.includes('json') && text ? JSON.parse(text) : text) as T };
  }

  get = <T = Record<string, unknown>>(path: string, headers?: Record<string, string>) => this.call<T>('GET', path, undefined, headers);
  post = <T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>) =>
    this.call<T>('POST', path, body, headers);
}

/** The answer to POST /v1/challenges. */
export interface Challenge {
  id: string;
  deviceId: string;
  nonce: string;
  algorithm: string;
  expiresAt: string;
}

export interface Device {
  readonly deviceId: string;
  readonly publicKeyHex: string;
  readonly privateKey: KeyObject;
  signHex(message: string): string;
}

let counter = 0;
export function newDevice(prefix = 'dev'): Device {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyHex = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');
  return {
    deviceId: `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`,
    publicKeyHex,
    privateKey,
    signHex: (message: string) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('hex'),
  };
}

/** Registers a device, then challenge, sign, verify: the documented flow, step by step. */
export async function register(api: Api, device: Device, extra: Record<string, unknown> = {}): Promise<Answer> {
  return api.post('/v1/devices', { deviceId: device.deviceId, publicKey: device.publicKeyHex, label: `Test ${device.deviceId}`, ...extra });
}

export async function authenticate(api: Api, device: Device): Promise<Answer> {
  const challenge = await api.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: device.deviceId });
  if (challenge.status !== 201) throw new Error(`challenge failed: ${challenge.status} ${JSON.stringify(challenge.body)}`);
  return api.post('/v1/challenges/verify', { challengeId: challenge.body.id, signature: device.signHex(challenge.body.nonce) });
}

/** A private_key_jwt client assertion (RFC 7523) for the token endpoint: iss = sub = the device id, a fresh jti unless given. */
export function clientAssertion(
  device: Device,
  audience: string,
  options: { claims?: Record<string, unknown>; signer?: KeyObject; expiresIn?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomUUID(), ...options.claims })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(device.deviceId)
    .setSubject(device.deviceId)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 60))
    .sign(options.signer ?? device.privateKey);
}
