import axios from 'axios';
import { DWClient, type DWClientDownStream } from 'dingtalk-stream';
import type WebSocket from 'ws';
import { DingTalkError } from '../kernel/errors';
import { STREAM_ERROR } from './stream-errors';

/**
 * Fields `dingtalk-stream@2.1.5` declares private in its typings but which its own code reads:
 * `dw_url` is what `_connect()` dials, `socket` is the live WebSocket, `heartbeat_interval` the keepalive
 * period. Touched only here, and only the way the SDK itself does.
 */
interface SdkInternals {
  dw_url?: string;
  socket?: WebSocket;
  heartbeat_interval: number;
  sslopts: WebSocket.ClientOptions;
}

/** What the wrapper needs to hear from one SDK client (one client = one WebSocket connection). */
export interface StreamClientHooks {
  /** The WebSocket closed (after open, or a failed handshake). */
  onSocketClose(code: number): void;
  /** SYSTEM `disconnect`: the server will close this socket soon (rebalancing). */
  onDisconnectFrame(): void;
  /** An EVENT frame; the hook acknowledges it itself once the handler is done. */
  onEvent(message: DWClientDownStream): void;
  /** A frame that could not be parsed or dispatched. */
  onBadFrame(error: unknown): void;
}

export interface GatewayStreamClientOptions {
  clientId: string;
  clientSecret: string;
  gatewayUrl: string;
  ua: string;
  keepAlive: boolean;
  heartbeatIntervalMs?: number;
  requestTimeoutMs: number;
  hooks: StreamClientHooks;
}

const CLOSE_GRACE_MS = 2000;

/**
 * A real `DWClient` with four narrow overrides. Why each one:
 *
 * - `getEndpoint()`: the SDK posts to its module constant `GATEWAY_URL` and offers no option to change
 *   it. We re-implement this single request against `gatewayUrl` (same body: clientId, clientSecret,
 *   ua, subscriptions; same `Accept: application/json`, without which the gateway answers XML) and then
 *   set `config.endpoint` and `dw_url = endpoint?ticket=ticket` exactly as the SDK does, so the SDK's own
 *   `_connect()` dials it. No global HTTP interception (nock) is needed, in production or in tests. We
 *   also add a timeout and turn failures into coded errors without the request body (which holds the
 *   secret) attached.
 * - `_connect()`: the SDK swallows socket close unless its own `autoReconnect` is on (fixed 1 s retry,
 *   which can storm). We turn that off and attach our own `close` listener to the socket `_connect()`
 *   has just created, so the wrapper owns reconnects.
 * - `onSystem()`: the SDK only flips flags on SYSTEM `disconnect`; we also tell the wrapper, which opens
 *   the replacement connection right away instead of waiting for the server to drop this one.
 * - `onEvent()`: the SDK's EVENT path calls a synchronous listener and ACKs at once, before anything is
 *   durable. We hand the frame to the wrapper instead, which ACKs SUCCESS/LATER after its handler.
 *
 * CALLBACK frames need no override: the SDK only emits them to `registerCallbackListener` listeners and
 * never ACKs them itself, so the wrapper ACKs with `socketCallBackResponse` when its handler resolves.
 */
export class GatewayStreamClient extends DWClient {
  private readonly options: GatewayStreamClientOptions;
  private readonly abort = new AbortController();
  private closing?: Promise<void>;

  constructor(options: GatewayStreamClientOptions) {
    super({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      ua: options.ua,
      keepAlive: options.keepAlive,
      // Never true: the SDK's debug output prints the whole config, secret included.
      debug: false,
    });
    this.options = options;
    this.config.autoReconnect = false;
    // The SDK's default config shares ONE module-level subscriptions array between all instances and
    // registerCallbackListener pushes into it; give each client its own so apps never leak topics.
    this.config.subscriptions = [{ type: 'EVENT', topic: '*' }];
    if (options.heartbeatIntervalMs !== undefined) this.internals().heartbeat_interval = options.heartbeatIntervalMs;
    // `sslopts` is what the SDK passes to `new WebSocket`; ws has no handshake timeout by default, and a
    // handshake that never completes would hold our single in-flight attempt forever.
    this.internals().sslopts = { ...this.internals().sslopts, handshakeTimeout: options.requestTimeoutMs };
  }

  override async getEndpoint(): Promise<this> {
    let response;
    try {
      response = await axios.request({
        url: this.options.gatewayUrl,
        method: 'POST',
        responseType: 'json',
        timeout: this.options.requestTimeoutMs,
        validateStatus: () => true,
        signal: this.abort.signal,
        data: {
          clientId: this.config.clientId,
          clientSecret: this.config.clientSecret,
          ua: this.config.ua,
          subscriptions: this.config.subscriptions,
        },
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      });
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error as Error).message;
      throw new DingTalkError(
        STREAM_ERROR.unreachable,
        `Could not reach the DingTalk Stream gateway (${reason}); check outbound HTTPS to the gateway.`,
        502,
      );
    }
    const body = (response.data ?? {}) as { endpoint?: string; ticket?: string; code?: unknown; message?: unknown };
    if (response.status < 200 || response.status >= 300) throw gatewayHttpError(response.status, body);
    if (!body.endpoint || !body.ticket) {
      throw new DingTalkError(STREAM_ERROR.badResponse, 'The DingTalk Stream gateway answered without endpoint or ticket.', 502);
    }
    // Mirror the SDK's own getEndpoint: it stores the whole response object in config.endpoint.
    (this.config as { endpoint?: unknown }).endpoint = body;
    this.internals().dw_url = `${body.endpoint}?ticket=${body.ticket}`;
    return this;
  }

  override _connect(): Promise<void> {
    const opened = super._connect();
    // The promise executor ran synchronously, so `socket` is the one just created (undefined only when
    // the WebSocket constructor threw, and then `opened` rejects).
    this.internals().socket?.once('close', (code: number) => this.options.hooks.onSocketClose(code));
    return opened;
  }

  override onDownStream(data: string): void {
    // The SDK parses without a try: one malformed frame would throw inside the socket listener.
    try {
      super.onDownStream(data);
    } catch (error) {
      this.options.hooks.onBadFrame(error);
    }
  }

  override onSystem(downstream: DWClientDownStream): void {
    super.onSystem(downstream);
    if (downstream.headers?.topic === 'disconnect') this.options.hooks.onDisconnectFrame();
  }

  override onEvent(message: DWClientDownStream): void {
    this.options.hooks.onEvent(message);
  }

  /**
   * Close for good: the SDK's `disconnect()` (user flag, heartbeat timer, close frame), then a hard
   * terminate if the close handshake stalls. Also clears the SDK's heartbeat interval, which it otherwise
   * leaves running after a socket closes on its own. Resolves once the socket is closed. Idempotent.
   */
  shutdown(): Promise<void> {
    if (this.closing) return this.closing;
    const socket = this.internals().socket;
    this.abort.abort(); // a gateway request still in flight
    this.disconnect();
    if (!socket || socket.readyState === socket.CLOSED) {
      this.closing = Promise.resolve();
      return this.closing;
    }
    this.closing = new Promise<void>((resolve) => {
      const force = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
      force.unref?.();
      socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
    });
    return this.closing;
  }

  private internals(): SdkInternals {
    return this as unknown as SdkInternals;
  }
}

function gatewayHttpError(status: number, body: { code?: unknown; message?: unknown }): DingTalkError {
  const code = typeof body.code === 'string' ? body.code : undefined;
  const detail = code ? `HTTP ${status}, ${code}` : `HTTP ${status}`;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new DingTalkError(
      STREAM_ERROR.rejected,
      `The DingTalk Stream gateway refused the connection (${detail}); check the AppKey/AppSecret and that the app uses Stream mode.`,
      401,
      { status, ...(code ? { gatewayCode: code } : {}) },
    );
  }
  return new DingTalkError(STREAM_ERROR.unavailable, `The DingTalk Stream gateway is unavailable (${detail}); will retry.`, 502, {
    status,
    ...(code ? { gatewayCode: code } : {}),
  });
}
