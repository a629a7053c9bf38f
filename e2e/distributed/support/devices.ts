import { type DeviceKeyPair, generateKeyPair, type M2MClient, signChallenge, type VerifyResult } from '@m2m-trust/sdk';

import { randomBytes } from 'node:crypto';

export interface TestDevice extends DeviceKeyPair {
  readonly deviceId: string;
}

export async function newDevice(prefix: string): Promise<TestDevice> {
  return { deviceId: `${prefix}-${randomBytes(6).toString('hex')}`, ...(await generateKeyPair()) };
}

/** A challenge through `client`, signed by `signer` (another device's key makes a wrong signature), verified through `verifier`. */
export async function authenticateWith(
  client: M2MClient,
  device: TestDevice,
  audience: string,
  { signer = device, verifier = client }: { signer?: TestDevice; verifier?: M2MClient } = {},
): Promise<VerifyResult> {
  const challenge = await client.m2m.initiateChallenge({ deviceId: device.deviceId });
  const signature = await signChallenge(challenge, signer.privateKey, { deviceId: device.deviceId, audience });
  return verifier.m2m.verify({ challengeId: challenge.id, signature });
}

/** Runs `work` over `items`, at most `limit` at a time, in order of the items. */
export async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T, index);
      }
    }),
  );
  return results;
}
