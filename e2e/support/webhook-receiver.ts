import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body exactly as received, for checking its signature. */
  readonly raw: Buffer;
  readonly status: number;
}

interface EventLike {
  readonly eventID: string;
}

/**
 * A webhook receiver on loopback: a plain node:http server that keeps every
 * POST it gets and answers each with the next status queued for its path
 * (200 once the queue is empty).
 */
export class WebhookReceiver {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly deliveries: Delivery[],
    private readonly answers: Map<string, number[]>,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const deliveries: Delivery[] = [];
    const answers = new Map<string, number[]>();
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        const status = answers.get(path)?.shift() ?? 200;
        deliveries.push({ path, headers: request.headers, raw: Buffer.concat(chunks), status });
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'try again');
      });
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    return new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deliveries, answers);
  }

  /** The next answers to `path`, in order. */
  answer(path: string, ...statuses: number[]): void {
    this.answers.set(path, [...(this.answers.get(path) ?? []), ...statuses]);
  }

  /** From now on `path` is answered 200. */
  acceptAll(path: string): void {
    this.answers.delete(path);
  }

  to(path: string): Delivery[] {
    return this.deliveries.filter((d) => d.path === path);
  }

  /** The events of the deliveries to `path` that were acknowledged (answered 2xx). */
  acknowledged(path: string): string[] {
    return this.to(path)
      .filter((d) => d.status < 300)
      .flatMap((d) => eventsOf(d).map((e) => e.eventID));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((closed) => this.server.close(() => closed()));
  }
}

export interface DeliveredDocument {
  readonly type: string;
  readonly epcisBody: { readonly queryResults: { readonly queryName: string; readonly subscriptionID?: string; readonly resultsBody: { readonly eventList: EventLike[] } } };
}

export const documentOf = (delivery: Delivery): DeliveredDocument => JSON.parse(delivery.raw.toString('utf8')) as DeliveredDocument;
export const eventsOf = (delivery: Delivery): EventLike[] => documentOf(delivery).epcisBody.queryResults.resultsBody.eventList;
