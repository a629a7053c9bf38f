import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { type ChallengeNonceFields } from '../lib/challenge-nonce';

export interface ProtocolVectors {
  readonly valid: readonly {
    readonly deviceId: string;
    readonly privateKeySeed: string;
    readonly publicKey: string;
    readonly fields: ChallengeNonceFields;
    readonly nonce: string;
    readonly signature: string;
  }[];
  readonly invalidSignatures: readonly {
    readonly name: string;
    readonly publicKey: string;
    readonly nonce: string;
    readonly signature: string;
    readonly expected: string;
  }[];
}

/** docs/protocol/vectors.json, the file the service's own tests check too. */
export const protocolVectors = (): ProtocolVectors =>
  JSON.parse(readFileSync(resolve(__dirname, '../../../../docs/protocol/vectors.json'), 'utf8')) as ProtocolVectors;
