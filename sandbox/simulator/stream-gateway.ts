import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  buildFrame,
  isSuccessAck,
  newConnectionId,
  newMessageId,
  parseAck,
  silentGatewayLogger,
  type AckRecord,
  type AckResult,
  type ConnectionInfo,
  type FrameType,
  type GatewayLogger,
  type OpenRequestRecord,
} from './stream-gateway-frames';
import { errorBody, TicketDesk, type Ticket } from './stream-gateway-tickets';
import { AckWaiters, Watchers } from './stream-gateway-waiters';

export * from './stream-gateway-frames';

export const OPEN_CONNECTION_PATH = '/v1.0/gateway/connections/open';

/**
 * Whether robot messages and card callbacks (CALLBACK frames) are ever pushed again.
 *  - `none` (default): DingTalk as documented. The Stream protocol FAQ (open-dingtalk/developerpedia
 *    docs/learn/stream/protocol.md, "机器人消息…不会重推") says robot callbacks are fire-and-forget:
 *    a push that is not acknowledged, or whose connection goes away, is simply gone.
 *  - `sdk-60s`: what the Node SDK's JSDoc on `socketCallBackResponse` claims (dingtalk-stream@2.1.5,
 *    "the server retries for about 60 s"): an unacknowledged CALLBACK goes to the next connection
 *    when its connection goes away, waits for one when none is open, and is pushed once more after
 *    `redeliveryAfterMs` without a success ACK.
 * EVENT frames are always pushed again until acknowledged: event subscriptions are documented to
 * retry (https://open.dingtalk.com/document/orgapp/stream, "事件推送失败…重新推送").
 */
export type StreamRedelivery = 'none' | 'sdk-60s';

export interface StreamGatewayOptions {
  validateApp(clientId: string, clientSecret: string): boolean;
  /** The `endpoint` handed out (full WebSocket URL incl. path); default `ws://<Host header><wsPath>`. */
  publicWsUrl?: () => string;
  logger?: GatewayLogger;
  /** How long a push waits for its ACK before resolving `{acked: false}` (the message stays pending). */
  ackTimeoutMs?: number;
  /** Ticket lifetime; DingTalk's is 90 s. */
  ticketTtlMs?: number;
  wsPath?: string;
  now?: () => number;
  /** Default `none` (see StreamRedelivery). */
  redelivery?: StreamRedelivery;
  /** `sdk-60s`: how long an unacknowledged CALLBACK waits before its one re-push; default 60 s. */
  redeliveryAfterMs?: number;
}

interface Connection {
  info: ConnectionInfo;
  ws: WebSocket;
  closeTimer?: NodeJS.Timeout;
}

/** A pushed CALLBACK/EVENT; lives until a success ACK. `deliveredTo` undefined = queued. */
interface Message {
  messageId: string;
  clientId: string;
  type: FrameType;
  topic: string;
  data: string;
  extraHeaders: Record<string, string>;
  deliveredTo?: string;
  deliveries: number;
  done: boolean;
  /** `sdk-60s`: the pending timed re-push. */
  retryTimer?: NodeJS.Timeout;
}

/**
 * The Stream half of the DingTalk simulator: `POST /v1.0/gateway/connections/open` hands out single-use
 * tickets, the WebSocket at `wsPath` accepts them and pushes frames shaped like DingTalk's (§7c).
 * Delivery semantics mirror the real gateway as far as they matter to a client: each push goes to ONE
 * open connection of the app subscribed to the topic (round-robin here, random at DingTalk). Events
 * stay pending until a success ACK: when their connection goes away unacknowledged they are pushed
 * again to the next connection of the app, and a push with no connection waits for one. Robot
 * messages and card callbacks follow `redelivery` (default `none`: pushed once, never again).
 */
export class StreamGateway {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly logger: GatewayLogger;
  private readonly now: () => number;
  private readonly wsPath: string;
  private readonly desk: TicketDesk;
  private readonly waiters: AckWaiters;
  private readonly watchers = new Watchers();
  private readonly conns = new Map<string, Connection>();
  private readonly messages = new Map<string, Message>();
  private readonly systemTopics = new Map<string, string>();
  private readonly ackLog: AckRecord[] = [];
  private readonly roundRobin = new Map<string, number>();
  private closed = false;
  private redeliveryMode: StreamRedelivery;
  private readonly redeliveryAfterMs: number;

  constructor(options: StreamGatewayOptions) {
    this.redeliveryMode = options.redelivery ?? 'none';
    this.redeliveryAfterMs = options.redeliveryAfterMs ?? 60_000;
    this.logger = options.logger ?? silentGatewayLogger;
    this.now = options.now ?? Date.now;
    this.wsPath = options.wsPath ?? '/connect';
    this.waiters = new AckWaiters(options.ackTimeoutMs ?? 15000);
    this.desk = new TicketDesk({
      validateApp: options.validateApp,
      endpoint: (req) => options.publicWsUrl?.() ?? `ws://${req.headers.host ?? '127.0.0.1'}${this.wsPath}`,
      ticketTtlMs: options.ticketTtlMs ?? 90000,
      now: this.now,
    });
  }

  /** Routes `POST /v1.0/gateway/connections/open`; false for any other request. */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (req.method !== 'POST' || path !== OPEN_CONNECTION_PATH) return false;
    void this.desk.handleOpen(req, res);
    return true;
  }

  /** Takes over WebSocket upgrades on `wsPath` of `server`; other paths are left to other listeners. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.handleUpgrade(req, socket, head);
    });
  }

  /** For servers that route upgrades themselves: true when the request was ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== this.wsPath) return false;
    const ticket = this.desk.take(url.searchParams.get('ticket') ?? '');
    if (!ticket || this.closed) {
      this.logger.debug('stream gateway: WebSocket refused (unknown, used or expired ticket)');
      const body = JSON.stringify(errorBody('InvalidTicket', 'ticket is invalid or already used'));
      socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onOpen(ws, ticket));
    return true;
  }

  pushCallback(clientId: string, topic: string, data: unknown, opts: { messageId?: string } = {}): Promise<AckResult> {
    return this.push({ clientId, type: 'CALLBACK', topic, data, messageId: opts.messageId, extraHeaders: {} });
  }

  pushEvent(clientId: string, eventType: string, data: unknown, opts: { eventId?: string; messageId?: string; corpId?: string } = {}): Promise<AckResult> {
    const extraHeaders = {
      eventType,
      eventId: opts.eventId ?? randomUUID().replace(/-/g, ''),
      eventBornTime: String(this.now()),
      eventCorpId: opts.corpId ?? 'dingsimcorp0001',
      eventUnifiedAppId: appIdOf(clientId),
    };
    return this.push({ clientId, type: 'EVENT', topic: '*', data, messageId: opts.messageId, extraHeaders });
  }

  get redelivery(): StreamRedelivery {
    return this.redeliveryMode;
  }

  /** Switches the CALLBACK redelivery behaviour for pushes from now on. */
  setRedelivery(mode: StreamRedelivery): void {
    this.redeliveryMode = mode;
  }

  /**
   * Pushes the same frame (same messageId) again, acknowledged or not; resolves with its next ACK.
   * A test's explicit duplicate (DingTalk bridges do see late duplicates), whatever `redelivery` says.
   */
  redeliver(messageId: string): Promise<AckResult> {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`stream gateway: unknown messageId ${messageId}`);
    message.done = false;
    message.deliveredTo = undefined;
    const result = this.waiters.wait(messageId);
    this.deliver(message);
    return result;
  }

  /** SYSTEM `ping` to every open connection of the app; resolves with their answers. */
  ping(clientId: string): Promise<AckResult[]> {
    return Promise.all(
      this.openConns(clientId).map((conn) => {
        const messageId = newMessageId(this.now());
        this.systemTopics.set(messageId, 'ping');
        const result = this.waiters.wait(messageId);
        this.sendFrame(conn, 'SYSTEM', messageId, 'ping', JSON.stringify({ opaque: randomUUID() }), {});
        return result;
      }),
    );
  }

  /**
   * SYSTEM `disconnect` to the app's open connections (or one), which then get no new pushes; each is
   * terminated after `closeAfterMs` (DingTalk: 10 s) unless the client closed it first.
   */
  sendDisconnect(clientId: string, opts: { closeAfterMs?: number; connectionId?: string } = {}): string[] {
    const targets = this.openConns(clientId).filter((c) => !c.info.draining && (!opts.connectionId || c.info.id === opts.connectionId));
    for (const conn of targets) {
      conn.info.draining = true;
      const messageId = newMessageId(this.now());
      this.systemTopics.set(messageId, 'disconnect');
      this.sendFrame(conn, 'SYSTEM', messageId, 'disconnect', JSON.stringify({ reason: 'connection is expired' }), {});
      conn.closeTimer = setTimeout(() => this.terminate(conn), opts.closeAfterMs ?? 10000);
    }
    return targets.map((c) => c.info.id);
  }

  /** Kills the app's sockets (or one) with no close frame, like a network cut seen from the server. */
  dropSocket(clientId: string, opts: { connectionId?: string } = {}): string[] {
    const targets = this.openConns(clientId).filter((c) => !opts.connectionId || c.info.id === opts.connectionId);
    for (const conn of targets) this.terminate(conn);
    return targets.map((c) => c.info.id);
  }

  /** The app's connections stop answering WebSocket pings (a hung peer); they get no new pushes. */
  stall(clientId: string): string[] {
    const targets = this.openConns(clientId).filter((c) => !c.info.stalled);
    for (const conn of targets) {
      conn.info.stalled = true;
      (conn.ws as unknown as { _autoPong: boolean })._autoPong = false;
    }
    return targets.map((c) => c.info.id);
  }

  connections(clientId?: string): ConnectionInfo[] {
    return [...this.conns.values()].filter((c) => !clientId || c.info.clientId === clientId).map((c) => structuredClone(c.info));
  }

  /** Resolves once at least `count` connections of the app are open at the same time. */
  waitForConnection(clientId: string, opts: { count?: number } = {}): Promise<ConnectionInfo[]> {
    const count = opts.count ?? 1;
    return this.watchers.until(() => (this.openConns(clientId).length >= count ? this.connections(clientId).filter((c) => c.open) : undefined));
  }

  /** Resolves once the connection is closed (by either side). */
  waitForClosed(connectionId: string): Promise<ConnectionInfo> {
    return this.watchers.until(() => {
      const conn = this.conns.get(connectionId);
      return conn && !conn.info.open ? structuredClone(conn.info) : undefined;
    });
  }

  acks(filter: { messageId?: string; clientId?: string } = {}): AckRecord[] {
    return this.ackLog.filter((a) => (!filter.messageId || a.messageId === filter.messageId) && (!filter.clientId || a.clientId === filter.clientId)).map((a) => ({ ...a }));
  }

  /** Every open-connection request seen (secrets not kept), oldest first. */
  openRequests(clientId?: string): OpenRequestRecord[] {
    return this.desk.requests(clientId);
  }

  /** Pushed messages of the app without a success ACK yet (delivered or queued). */
  pendingCount(clientId: string): number {
    return [...this.messages.values()].filter((m) => m.clientId === clientId && !m.done).length;
  }

  /** Terminates every socket, resolves outstanding pushes with `{acked: false}`, clears timers. */
  async close(): Promise<void> {
    this.closed = true;
    for (const message of this.messages.values()) if (message.retryTimer) clearTimeout(message.retryTimer);
    for (const conn of this.conns.values()) this.terminate(conn);
    this.waiters.abandonAll();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private onOpen(ws: WebSocket, ticket: Ticket): void {
    const info: ConnectionInfo = {
      id: newConnectionId(),
      clientId: ticket.clientId,
      open: true,
      draining: false,
      stalled: false,
      subscriptions: ticket.subscriptions,
      ua: ticket.ua,
      openedAt: this.now(),
    };
    const conn: Connection = { info, ws };
    this.conns.set(info.id, conn);
    ws.on('message', (raw) => this.onUpstream(conn, raw.toString()));
    ws.on('close', () => this.markClosed(conn));
    ws.on('error', (error) => this.logger.debug(`stream gateway: socket error on ${info.id} (${error.message})`));
    this.logger.debug(`stream gateway: connection ${info.id} open for ${info.clientId}`);
    for (const message of this.messages.values()) {
      if (message.clientId === info.clientId && !message.done && !message.deliveredTo) this.deliver(message);
    }
    this.watchers.notify();
  }

  private onUpstream(conn: Connection, raw: string): void {
    const ack = parseAck(raw);
    if (!ack) {
      this.logger.warn(`stream gateway: unreadable upstream frame on ${conn.info.id}`);
      return;
    }
    const message = this.messages.get(ack.messageId);
    const systemTopic = this.systemTopics.get(ack.messageId);
    this.ackLog.push({
      ...ack,
      clientId: conn.info.clientId,
      connectionId: conn.info.id,
      type: message?.type ?? (systemTopic ? 'SYSTEM' : 'UNKNOWN'),
      topic: message?.topic ?? systemTopic ?? '',
      at: this.now(),
    });
    if (message && isSuccessAck(message.type, ack)) this.finish(message);
    this.waiters.settle({ acked: true, messageId: ack.messageId, connectionId: conn.info.id, code: ack.code, message: ack.message, data: ack.data });
  }

  private push(input: { clientId: string; type: FrameType; topic: string; data: unknown; messageId?: string; extraHeaders: Record<string, string> }): Promise<AckResult> {
    const messageId = input.messageId ?? newMessageId(this.now());
    const message: Message = {
      messageId,
      clientId: input.clientId,
      type: input.type,
      topic: input.topic,
      data: typeof input.data === 'string' ? input.data : JSON.stringify(input.data),
      extraHeaders: input.extraHeaders,
      deliveries: 0,
      done: false,
    };
    this.messages.set(messageId, message);
    const result = this.waiters.wait(messageId);
    this.deliver(message);
    return result;
  }

  /** Sends to the next eligible connection, or leaves the message queued for the next one to open. */
  private deliver(message: Message): void {
    if (this.closed) return;
    const eligible = this.openConns(message.clientId).filter(
      (c) => !c.info.draining && !c.info.stalled && c.info.subscriptions.some((s) => s.type === message.type && (message.type === 'EVENT' || s.topic === message.topic)),
    );
    if (!eligible.length) {
      message.deliveredTo = undefined;
      if (!this.pushesAgain(message)) {
        this.drop(message, 'no connection');
        return;
      }
      this.logger.debug(`stream gateway: ${message.messageId} queued (no connection for ${message.topic})`);
      return;
    }
    const turn = this.roundRobin.get(message.clientId) ?? 0;
    this.roundRobin.set(message.clientId, turn + 1);
    const conn = eligible[turn % eligible.length];
    message.deliveredTo = conn.info.id;
    message.deliveries += 1;
    this.sendFrame(conn, message.type, message.messageId, message.topic, message.data, message.extraHeaders);
    if (message.type === 'CALLBACK' && this.redeliveryMode === 'sdk-60s' && message.deliveries === 1) {
      message.retryTimer = setTimeout(() => {
        message.retryTimer = undefined;
        if (message.done || this.closed) return;
        message.deliveredTo = undefined;
        this.deliver(message);
      }, this.redeliveryAfterMs);
      message.retryTimer.unref();
    }
  }

  /** EVENTs always; CALLBACKs only with `sdk-60s`. */
  private pushesAgain(message: Message): boolean {
    return message.type !== 'CALLBACK' || this.redeliveryMode === 'sdk-60s';
  }

  private finish(message: Message): void {
    message.done = true;
    if (message.retryTimer) clearTimeout(message.retryTimer);
    message.retryTimer = undefined;
  }

  /** `none`: an unacknowledged robot message is gone; the push resolves unacknowledged now. */
  private drop(message: Message, why: string): void {
    this.finish(message);
    this.logger.debug(`stream gateway: ${message.messageId} dropped (${why}; robot callbacks are not pushed again)`);
    this.waiters.settle({ acked: false, messageId: message.messageId });
  }

  private sendFrame(conn: Connection, type: FrameType, messageId: string, topic: string, data: string, extra: Record<string, string>): void {
    const frame = buildFrame(type, { appId: appIdOf(conn.info.clientId), connectionId: conn.info.id, messageId, topic, time: this.now() }, data, extra);
    conn.ws.send(JSON.stringify(frame));
    this.logger.debug(`stream gateway: ${type} ${messageId} (${topic}) -> ${conn.info.id}`);
  }

  private terminate(conn: Connection): void {
    this.markClosed(conn);
    conn.ws.terminate();
  }

  /** Idempotent: bookkeeping runs at once (a push right after `dropSocket` must already queue). */
  private markClosed(conn: Connection): void {
    if (!conn.info.open) return;
    conn.info.open = false;
    conn.info.closedAt = this.now();
    if (conn.closeTimer) clearTimeout(conn.closeTimer);
    this.logger.debug(`stream gateway: connection ${conn.info.id} closed`);
    for (const message of this.messages.values()) {
      if (message.deliveredTo === conn.info.id && !message.done) {
        message.deliveredTo = undefined;
        if (this.pushesAgain(message)) this.deliver(message);
        else this.drop(message, 'connection closed before its ACK');
      }
    }
    this.watchers.notify();
  }

  private openConns(clientId: string): Connection[] {
    return [...this.conns.values()].filter((c) => c.info.clientId === clientId && c.info.open && c.ws.readyState === c.ws.OPEN);
  }
}

/** A stable fake appId per app (DingTalk's is a separate number; nothing in a client depends on it). */
function appIdOf(clientId: string): string {
  return `sim-app-${clientId}`;
}
