import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';

export interface HostAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/** GET `path` on the server at `url`, sending the Host header given (fetch cannot set Host); a JSON body parsed. */
export function getWithHost(url: string, path: string, host: string, headers: Record<string, string>): Promise<HostAnswer> {
  return new Promise((done, fail) => {
    const request = httpRequest(new URL(path, url), { method: 'GET', headers: { ...headers, host } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => done({ status: response.statusCode ?? 0, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    request.on('error', fail);
    request.end();
  });
}
