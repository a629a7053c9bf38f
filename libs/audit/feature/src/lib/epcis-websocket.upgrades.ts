import { CBV_VERSION, EPCIS_VERSION } from '@m2m-trust/audit-domain';

import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type BeforeApplicationShutdown, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type WebSocket, WebSocketServer } from 'ws';

import type { OpenSubscription, SubscriptionEnd } from './epcis-subscription.hub';

const UPGRADE = Symbol('m2m-trust.websocket-upgrade');

interface PendingUpgrade {
  readonly socket: Duplex;
  readonly head: Buffer;
  accepted: boolean;
}

type UpgradeRequest = IncomingMessage & { [UPGRADE]?: PendingUpgrade };

/** Whether a request came as a WebSocket handshake (routed here by {@link EpcisWebSocketUpgrades}). */
export const isWebSocketUpgrade = (request: FastifyRequest): boolean => (request.raw as UpgradeRequest)[UPGRADE] !== undefined;

/** Close codes (RFC 6455 7.4.1): 1001 the server goes away, 1013 try again later, 1000 a normal end (the query was deleted). */
function closeCode(end: SubscriptionEnd | null): number {
  if (end === null || end.reason === 'query-deleted') return 1000;
  return end.reason === 'shutdown' ? 1001 : 1013;
}

/**
 * WebSocket subscriptions, as the binding offers them on
 * `GET /queries/{name}/events?stream=true`. A handshake is routed through
 * Fastify and Nest like any request (API key, scope, rate limit, the query's
 * existence, problem+json on refusal, answered over the socket before it
 * closes); the route accepts it with {@link accept}, and the `ws` library
 * completes it. Each event then travels as one text message holding an
 * EPCISQueryDocument.
 */
@Injectable()
export class EpcisWebSocketUpgrades implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private fastify: FastifyInstance | null = null;
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => this.route(request, socket, head);

  constructor(private readonly adapterHost: HttpAdapterHost) {
    // The binding's version headers on the 101 as on every other answer.
    this.wss.on('headers', (headers) => headers.push(`GS1-EPCIS-Version: ${EPCIS_VERSION}`, `GS1-CBV-Version: ${CBV_VERSION}`));
  }

  onApplicationBootstrap(): void {
    this.fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    this.fastify.server.on('upgrade', this.onUpgrade);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.fastify?.server.off('upgrade', this.onUpgrade);
    // The hub ends every subscription on shutdown, which closes its socket; any left are cut.
    for (const client of this.wss.clients) client.terminate();
    await new Promise((closed) => this.wss.close(closed));
  }

  /** Completes the handshake of the request being answered and streams `subscription` over it. */
  accept(request: FastifyRequest, reply: FastifyReply, subscription: OpenSubscription): void {
    const raw = request.raw as UpgradeRequest;
    const pending = raw[UPGRADE];
    if (pending === undefined) throw new Error('not a WebSocket handshake');
    pending.accepted = true;
    void reply.hijack();
    // A handshake `ws` refuses (a bad key or version) closes the socket without a WebSocket: the subscription goes with it.
    let open = false;
    pending.socket.once('close', () => open || subscription.stream.destroy());
    this.wss.handleUpgrade(raw, pending.socket, pending.head, (ws) => {
      open = true;
      this.pump(ws, subscription);
    });
  }

  /** Sends each line of the subscription as a message; a client that goes away unsubscribes, a subscription that ends closes the socket. */
  private pump(ws: WebSocket, subscription: OpenSubscription): void {
    const { stream } = subscription;
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      let cut: number;
      while ((cut = text.indexOf('\n')) >= 0) {
        // Paused until the socket has taken the message: the hub's limit on unsent bytes then sees a slow reader.
        stream.pause();
        ws.send(text.slice(0, cut), () => stream.resume());
        text = text.slice(cut + 1);
      }
    });
    stream.once('end', () => {
      const end = subscription.ended();
      ws.close(closeCode(end), end?.reason ?? '');
    });
    ws.once('close', () => stream.destroy());
    ws.on('error', () => stream.destroy());
  }

  /** A handshake goes through Fastify's routing with a response written to its socket; one no route accepts is answered, then closed. */
  private route(request: UpgradeRequest, socket: Duplex, head: Buffer): void {
    const fastify = this.fastify;
    if (fastify === null) return void socket.destroy();
    socket.on('error', () => socket.destroy());
    const pending: PendingUpgrade = { socket, head, accepted: false };
    request[UPGRADE] = pending;
    const response = new ServerResponse(request);
    response.assignSocket(socket as never);
    response.once('finish', () => {
      if (!pending.accepted) socket.end();
    });
    fastify.routing(request, response);
  }
}
