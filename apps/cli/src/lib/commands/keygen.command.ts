import { encodePrivateKeyPem, generateKeyPair } from '@m2m-trust/sdk';

import { resolve } from 'node:path';

import { type Command, requiredString } from '../cli.command';
import { ExitCode } from '../exit-code';
import { writePrivateKeyFile } from '../private-key.file';

export const keygenCommand: Command = {
  path: ['keygen'],
  summary: 'Generate a device key pair: the private key to a file (mode 0600), the public key to stdout',
  usage: '--out FILE [--force]',
  details:
    'The private key is written as unencrypted PKCS#8 PEM, the format OpenSSL and Node read\n' +
    '(`openssl pkey -in FILE -noout` checks it). It is never printed. The public key is\n' +
    'printed as 64 hex characters, the form `m2m devices register --public-key` takes.',
  options: {
    out: { type: 'string', short: 'o', value: 'FILE', file: true, description: 'where to write the private key (PEM)' },
    force: { type: 'boolean', description: 'replace FILE if it exists' },
  },
  async run({ values, output, cwd }) {
    const file = resolve(cwd, requiredString(values, 'out'));
    const pair = await generateKeyPair();
    writePrivateKeyFile(file, encodePrivateKeyPem(pair.privateKey), values['force'] === true);
    output.result({ publicKey: pair.publicKeyHex, privateKeyFile: file, format: 'pkcs8-pem' }, () => `${pair.publicKeyHex}\n`);
    if (!output.json) output.note(`Private key written to ${file} (PKCS#8 PEM, mode 0600). Keep it on the device.`);
    return ExitCode.Ok;
  },
};
