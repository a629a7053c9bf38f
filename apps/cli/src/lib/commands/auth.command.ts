import { resolve } from 'node:path';

import { type Command, requiredString } from '../cli.command';
import { ExitCode } from '../exit-code';
import { readPrivateKeyFile } from '../private-key.file';

export const authCommand: Command = {
  path: ['auth'],
  summary: 'Authenticate as a device: challenge, checked signature, verify',
  usage: '--device ID --key FILE [--audience AUDIENCE]',
  details:
    'Acts as the device itself (no API key needed). Before signing, the challenge is\n' +
    'checked: it must name this device and the expected audience, match its id and\n' +
    'expiry, and not have expired. The audience is --audience, M2M_AUDIENCE or the\n' +
    'config file, else the origin of the service URL. Exits 0 when verified, 1 when not.',
  options: {
    device: { type: 'string', value: 'ID', description: 'the device to authenticate as' },
    key: { type: 'string', value: 'FILE', file: true, description: "the device's private key (PKCS#8 PEM, or 64 hex characters)" },
  },
  async run({ values, output, cwd, deviceClient }) {
    const deviceId = requiredString(values, 'device');
    const privateKey = readPrivateKeyFile(resolve(cwd, requiredString(values, 'key')), (m) => output.note(m));
    const result = await deviceClient().m2m.authenticate({ deviceId, privateKey });
    if (result.verified) {
      output.result(result, () => `verified ${result.deviceId} at ${result.verifiedAt}\n`);
      return ExitCode.Ok;
    }
    output.result(result, () => '');
    if (!output.json) output.note(`m2m: not verified: ${result.reason}`);
    return ExitCode.Refused;
  },
};
