import type { M2MClient } from '@m2m-trust/sdk';

import { AUTHENTICATED, FAILED, REGISTERED } from './audit';
import { sleep } from './cluster';
import { authenticateWith, type TestDevice } from './devices';

export interface Outcome {
  readonly deviceId: string;
  /** ms since the epoch when the answer came. */
  readonly at: number;
  readonly verified: boolean;
}

export interface LoadReport {
  readonly outcomes: readonly Outcome[];
  /** Calls that did not answer with an outcome (network errors, 5xx): the test decides whether any are acceptable. */
  readonly errors: readonly { readonly deviceId: string; readonly at: number; readonly error: string }[];
}

export interface Load {
  /** Outcomes so far. */
  readonly outcomes: readonly Outcome[];
  stop(): Promise<LoadReport>;
}

/**
 * One loop per device, authenticating again and again through `client`;
 * every fourth attempt is signed with another device's key, so the log has
 * failures too. Each answered verify is one domain event.
 */
export function startLoad(client: M2MClient, devices: readonly TestDevice[], audience: string): Load {
  const outcomes: Outcome[] = [];
  const errors: { deviceId: string; at: number; error: string }[] = [];
  let stopped = false;
  const loops = devices.map(async (device, index) => {
    const impostor = devices[(index + 1) % devices.length]!;
    for (let attempt = 1; !stopped; attempt++) {
      try {
        const result = await authenticateWith(client, device, audience, attempt % 4 === 0 ? { signer: impostor } : {});
        outcomes.push({ deviceId: device.deviceId, at: Date.now(), verified: result.verified });
      } catch (error) {
        errors.push({ deviceId: device.deviceId, at: Date.now(), error: String(error) });
        await sleep(100);
      }
    }
  });
  return {
    outcomes,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return { outcomes, errors };
    },
  };
}

/** What the audit log must hold: each device's registration, and one event per answered verify. */
export function expectedTally(devices: readonly TestDevice[], outcomes: readonly Outcome[]): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const device of devices) counts[device.deviceId] = { [REGISTERED]: 1 };
  for (const outcome of outcomes) {
    const perDevice = (counts[outcome.deviceId] ??= {});
    const kind = outcome.verified ? AUTHENTICATED : FAILED;
    perDevice[kind] = (perDevice[kind] ?? 0) + 1;
  }
  return counts;
}
