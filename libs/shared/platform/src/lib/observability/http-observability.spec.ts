import type { IncomingMessage } from 'node:http';
import { version as uuidVersion } from 'uuid';

import { requestIdFor } from './http-observability';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('requestIdFor', () => {
  it("reuses the caller's well-formed X-Request-Id", () => {
    expect(requestIdFor(request({ 'x-request-id': 'trace-42:a.b_c' }))).toBe('trace-42:a.b_c');
  });

  it('makes a time-ordered id when the caller sent none or a malformed one', () => {
    const made = [request({}), request({ 'x-request-id': 'no spaces allowed' }), request({ 'x-request-id': 'x'.repeat(129) })].map(requestIdFor);
    for (const id of made) expect(uuidVersion(id)).toBe(7);
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(3);
  });
});
