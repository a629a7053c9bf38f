import { eventually } from '@m2m-trust/shared-domain/testing';

import type { RunningServer } from './server';

/**
 * The server's output once it holds the access line of request `requestId`:
 * that line is written after the answer and comes through a pipe, so a test
 * that reads the log right after a request may not see it yet (nor anything
 * the request logged).
 */
export async function outputThrough(server: Pick<RunningServer, 'output'>, requestId: string | null): Promise<string> {
  if (!requestId) throw new Error('the answer carries no x-request-id');
  return eventually(`the access line of request ${requestId}`, () => {
    const output = server.output();
    return output.includes(`"requestId":"${requestId}"`) && output;
  });
}
