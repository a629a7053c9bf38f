import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** `performance.now()` when the request arrived, to measure waits between retries. */
  readonly at: number;
}

/** Answers one request; `index` counts the requests the stub has seen, from 0. */
export type StubHandler = (request: RecordedRequest, response: ServerResponse, index: number) => void;

export interface StubServer {
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on a free loopback port with scripted answers: tests
 * exercise the SDK's fetch, timeouts and retries over the wire rather than
 * against a mocked fetch.
 */
export async function startStubServer(handler: StubHandler): Promise<StubServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const recorded = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body, at: performance.now() };
      requests.push(recorded);
      handler(recorded, response, requests.length - 1);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        // Stalled responses (timeout tests) would otherwise hold close() open.
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
