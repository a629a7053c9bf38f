import { derivePublicKeyHex, type Device, type DeviceLockout, type DeviceStatus, type M2MClient } from '@m2m-trust/sdk';

import { resolve } from 'node:path';

import { type Command, deviceArgument, integerOption, type Invocation, REASON_OPTION, reasonBody, requiredString, stringOption } from '../cli.command';
import { UsageError } from '../cli.error';
import { ExitCode } from '../exit-code';
import { type Column, renderFields, renderTable } from '../output/table.formatter';
import { readPrivateKeyFile } from '../private-key.file';
import { publicKeyArgument } from '../public-key.argument';

const DEVICE_COLUMNS: readonly Column<Device>[] = [
  { header: 'DEVICE ID', value: (d) => d.deviceId },
  { header: 'STATUS', value: (d) => d.status },
  { header: 'CREATED', value: (d) => d.createdAt },
  { header: 'KEY THUMBPRINT', value: (d) => d.keyThumbprint },
  { header: 'LABEL', value: (d) => d.label },
];

const deviceFields = (device: Device): string =>
  renderFields([
    ['device id', device.deviceId],
    ['status', device.status],
    ['label', device.label],
    ['public key', device.publicKey],
    ['key thumbprint', device.keyThumbprint],
    ['created', device.createdAt],
    ['revoked', device.revokedAt],
    ['revocation reason', device.revocationReason],
    ['metadata', Object.keys(device.metadata).length > 0 ? JSON.stringify(device.metadata) : undefined],
  ]);

const DEVICE_STATUSES: readonly DeviceStatus[] = ['active', 'revoked'];

const DEVICE_OPTION = { type: 'string', value: 'ID', description: 'the device id (or give it as the argument)' } as const;

export const devicesRegisterCommand: Command = {
  path: ['devices', 'register'],
  summary: 'Register a device with its Ed25519 public key',
  usage: '--device ID (--public-key KEY | --key FILE) [--label TEXT] [--metadata JSON]',
  details:
    'The service takes the raw 32-byte Ed25519 public key, as 64 hex characters (what\n' +
    'm2m keygen prints) or 43 base64url ones. --public-key also takes a PEM public key\n' +
    '("BEGIN PUBLIC KEY", pasted whole or as the path of its .pem file) and converts it\n' +
    'here; a private key file (PKCS#8 PEM) gives its public half, as --key does. A private\n' +
    'key pasted on the command line is refused: it would show in ps and shell history.\n' +
    'By hand: openssl pkey -pubin -in key.pub.pem -outform DER | tail -c 32 | xxd -p -c 64',
  options: {
    device: { type: 'string', value: 'ID', description: 'the new device id' },
    'public-key': {
      type: 'string',
      value: 'KEY',
      file: true,
      description: 'the public key: 64 hex or 43 base64url characters, a PEM public key, or its .pem file',
    },
    key: { type: 'string', value: 'FILE', file: true, description: 'take the public key from this private key file instead' },
    label: { type: 'string', value: 'TEXT', description: 'a human-readable name' },
    metadata: { type: 'string', value: 'JSON', description: 'free-form attributes, a JSON object' },
  },
  async run(invocation) {
    const { values, output } = invocation;
    const deviceId = requiredString(values, 'device');
    const publicKey = await publicKeyOf(invocation);
    const label = stringOption(values, 'label');
    const metadata = metadataOf(stringOption(values, 'metadata'));
    const device = await invocation.operatorClient().m2m.registerDevice({
      deviceId,
      publicKey,
      ...(label === undefined ? {} : { label }),
      ...(metadata === undefined ? {} : { metadata }),
    });
    output.result(device, () => deviceFields(device));
    return ExitCode.Ok;
  },
};

async function publicKeyOf({ values, output, cwd }: Invocation): Promise<string> {
  const publicKey = stringOption(values, 'public-key');
  const keyFile = stringOption(values, 'key');
  if ((publicKey === undefined) === (keyFile === undefined)) throw new UsageError('Give the public key as --public-key KEY or --key FILE (one of them)');
  const warn = (message: string): void => output.note(message);
  return publicKey === undefined ? derivePublicKeyHex(readPrivateKeyFile(resolve(cwd, keyFile as string), warn)) : publicKeyArgument(publicKey, cwd, warn);
}

function metadataOf(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError('--metadata must be JSON, e.g. \'{"site":"plant-2"}\'');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--metadata must be a JSON object');
  return parsed as Record<string, unknown>;
}

export const devicesListCommand: Command = {
  path: ['devices', 'list'],
  summary: 'List devices in registration order (all of them, unless --limit)',
  usage: '[--status active|revoked] [--limit N [--cursor CURSOR]]',
  options: {
    status: { type: 'string', value: 'STATUS', choices: DEVICE_STATUSES, description: 'active or revoked' },
    limit: { type: 'string', value: 'N', description: 'one page of at most N devices (1-1000); the next cursor is reported' },
    cursor: { type: 'string', value: 'CURSOR', description: 'continue after a previous page (with --limit)' },
  },
  async run(invocation) {
    const { values, output } = invocation;
    const status = stringOption(values, 'status') as DeviceStatus | undefined;
    const limit = integerOption(values, 'limit', 1, 1000);
    const cursor = stringOption(values, 'cursor');
    if (cursor !== undefined && limit === undefined) throw new UsageError('--cursor pages with --limit N');
    const client = invocation.operatorClient();
    const filter = status === undefined ? {} : { status };
    let page: { items: readonly Device[]; nextCursor: string | null };
    if (limit === undefined) {
      const items: Device[] = [];
      for await (const device of client.m2m.iterateDevices({ ...filter, pageSize: 1000 })) items.push(device);
      page = { items, nextCursor: null };
    } else {
      page = await client.m2m.listDevices({ ...filter, limit, ...(cursor === undefined ? {} : { cursor }) });
    }
    output.result(page, () => (page.items.length === 0 ? '' : renderTable(DEVICE_COLUMNS, page.items)));
    if (!output.json) {
      output.note(`${page.items.length} device${page.items.length === 1 ? '' : 's'}`);
      if (page.nextCursor) output.note(`more: m2m devices list --limit ${limit} --cursor ${page.nextCursor}`);
    }
    return ExitCode.Ok;
  },
};

/**
 * `m2m devices <verb> DEVICE_ID`: one operator call on one device, its answer
 * shown as fields; audited changes take `--reason`.
 */
function oneDeviceCommand<T>(spec: {
  readonly verb: string;
  readonly summary: string;
  readonly withReason: boolean;
  readonly call: (client: M2MClient, deviceId: string, body: { reason?: string }) => Promise<T>;
  readonly fields: (answer: T) => string;
}): Command {
  return {
    path: ['devices', spec.verb],
    summary: spec.summary,
    usage: spec.withReason ? 'DEVICE_ID [--reason TEXT]' : 'DEVICE_ID',
    positionals: { name: 'DEVICE_ID', max: 1 },
    options: spec.withReason ? { device: DEVICE_OPTION, reason: REASON_OPTION } : { device: DEVICE_OPTION },
    async run(invocation) {
      const answer = await spec.call(invocation.operatorClient(), deviceArgument(invocation), reasonBody(invocation.values));
      invocation.output.result(answer, () => spec.fields(answer));
      return ExitCode.Ok;
    },
  };
}

export const devicesGetCommand = oneDeviceCommand({
  verb: 'get',
  summary: 'Show one device',
  withReason: false,
  call: (client, deviceId) => client.m2m.getDevice(deviceId),
  fields: deviceFields,
});

export const devicesRevokeCommand = oneDeviceCommand({
  verb: 'revoke',
  summary: 'Revoke a device: no authentication succeeds for it afterwards (idempotent)',
  withReason: true,
  call: (client, deviceId, body) => client.m2m.revokeDevice(deviceId, body),
  fields: deviceFields,
});

const lockoutFields = (lockout: DeviceLockout): string =>
  renderFields([
    ['device id', lockout.deviceId],
    ['locked', lockout.locked ? `yes, ${lockout.lockedUntil === null ? 'until unlocked' : `until ${lockout.lockedUntil}`}: ${lockout.lockReason ?? ''}` : 'no'],
    ['consecutive failures', String(lockout.consecutiveFailures)],
    ['last failure', lockout.lastFailureAt === null ? 'none' : `${lockout.lastFailureAt} ${lockout.lastFailureReason ?? ''}`],
    ['locks since success', String(lockout.lockNumber)],
  ]);

export const devicesLockoutCommand = oneDeviceCommand({
  verb: 'lockout',
  summary: "Show a device's failed-authentication record and any lock",
  withReason: false,
  call: (client, deviceId) => client.m2m.getDeviceLockout(deviceId),
  fields: lockoutFields,
});

export const devicesLockCommand: Command = {
  path: ['devices', 'lock'],
  summary: 'Lock a device by hand: no authentication succeeds until --until or an unlock (audited)',
  usage: 'DEVICE_ID --reason TEXT [--until TIME]',
  positionals: { name: 'DEVICE_ID', max: 1 },
  options: {
    device: DEVICE_OPTION,
    reason: REASON_OPTION,
    until: { type: 'string', value: 'TIME', description: 'when the lock ends by itself (ISO 8601, e.g. 2026-12-01T00:00:00Z); default: until unlocked' },
  },
  async run(invocation) {
    const reason = requiredString(invocation.values, 'reason');
    const until = stringOption(invocation.values, 'until');
    const answer = await invocation.operatorClient().m2m.lockDevice(deviceArgument(invocation), { reason, ...(until === undefined ? {} : { until }) });
    invocation.output.result(answer, () => lockoutFields(answer));
    return ExitCode.Ok;
  },
};

export const devicesUnlockCommand = oneDeviceCommand({
  verb: 'unlock',
  summary: "Lift a device's lock and clear its failure record (audited; idempotent)",
  withReason: true,
  call: (client, deviceId, body) => client.m2m.unlockDevice(deviceId, body),
  fields: lockoutFields,
});
