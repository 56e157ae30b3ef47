import { GATEWAY_URL, TOPIC_CARD, TOPIC_ROBOT } from 'dingtalk-stream';
import { DingTalkError } from '../kernel/errors';
import { DEFAULT_STREAM_BACKOFF, reconnectDelay } from './stream-backoff';
import { GatewayStreamClient } from './stream-client';
import { StreamDispatcher } from './stream-dispatch';
import { describeStreamError, isCredentialRejection } from './stream-errors';
import {
  silentStreamLogger,
  type BackoffOptions,
  type DingTalkStreamOptions,
  type StreamLogger,
  type StreamState,
  type StreamStatus,
  type TimerHandle,
} from './stream-types';

export { DEFAULT_STREAM_BACKOFF, reconnectDelay } from './stream-backoff';
export { STREAM_ERROR } from './stream-errors';
export * from './stream-types';

/** One WebSocket connection = one SDK client (the class comment says why). */
interface Connection {
  id: number;
  client: GatewayStreamClient;
  /** Set once the attempt that created it succeeded; before that its close is the attempt's business. */
  established: boolean;
  closed: boolean;
  openedAtMs?: number;
}

/**
 * DingTalk Stream mode for one app: keeps one live connection, reconnects with capped, fully jittered
 * exponential backoff (exactly one attempt in flight), hands over proactively on SYSTEM `disconnect`,
 * and ACKs each frame only after its handler resolved (see `StreamDispatcher`).
 *
 * Each connection gets a fresh `DWClient` because the SDK keeps a single `socket` field: reusing one
 * client for the overlapping old/new sockets of a handover would send the old socket's ACKs on the new
 * socket and orphan the old socket's heartbeat timer.
 */
export class DingTalkStreamConnection {
  private readonly logger: StreamLogger;
  private readonly backoff: BackoffOptions;
  private readonly dispatcher: StreamDispatcher;
  private readonly listeners = new Set<(status: StreamStatus) => void>();
  private readonly draining = new Map<Connection, TimerHandle>();
  private readonly schedule: (callback: () => void, ms: number) => TimerHandle;
  private readonly cancel: (handle: TimerHandle) => void;
  private readonly now: () => number;

  private state: StreamState = 'idle';
  private sinceMs: number;
  private lastError?: string;
  private reconnectCount = 0;
  private failures = 0;
  private everConnected = false;
  private stopped = false;
  private current?: Connection;
  /** The connection the in-flight attempt is opening, so `stop()` can abort it. */
  private opening?: Connection;
  private connectedAtMs?: number;
  private attempt?: Promise<void>;
  private retryTimer?: TimerHandle;
  private firstAttempt?: Promise<StreamStatus>;
  private nextId = 1;

  constructor(private readonly options: DingTalkStreamOptions) {
    if (!options.clientId || !options.clientSecret) {
      throw new DingTalkError('dingtalk_stream_config_invalid', 'DingTalk Stream mode needs the app clientId (AppKey) and clientSecret (AppSecret).');
    }
    this.logger = options.logger ?? silentStreamLogger;
    this.backoff = { ...DEFAULT_STREAM_BACKOFF, ...options.backoff };
    this.dispatcher = new StreamDispatcher(options, this.logger);
    this.schedule = options.setTimeout ?? ((callback, ms) => setTimeout(callback, ms));
    this.cancel = options.clearTimeout ?? ((handle) => clearTimeout(handle as NodeJS.Timeout));
    this.now = options.now ?? Date.now;
    this.sinceMs = this.now();
    if (options.onStatusChange) this.listeners.add(options.onStatusChange);
  }

  /**
   * Starts connecting. The promise settles after the first attempt with the status at that point and
   * never rejects: a failed first attempt is retried in the background like any later one.
   */
  start(): Promise<StreamStatus> {
    if (this.stopped) return Promise.resolve(this.status());
    if (this.firstAttempt) return this.firstAttempt;
    this.setState('connecting');
    this.firstAttempt = this.runAttempt().then(() => this.status());
    return this.firstAttempt;
  }

  /** Closes every socket and cancels every timer; no reconnect afterwards. Terminal. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer !== undefined) this.cancel(this.retryTimer);
    this.retryTimer = undefined;
    const closing: Promise<void>[] = [];
    for (const [connection, timer] of this.draining) {
      this.cancel(timer);
      closing.push(connection.client.shutdown());
    }
    this.draining.clear();
    for (const connection of [this.current, this.opening]) {
      if (connection) closing.push(connection.client.shutdown());
    }
    this.current = undefined;
    this.connectedAtMs = undefined;
    this.setState('stopped');
    // An attempt in flight sees `stopped` and shuts its own client down.
    await Promise.all([...closing, this.attempt ?? Promise.resolve()]);
    this.logger.log('DingTalk stream stopped');
  }

  status(): StreamStatus {
    const openedAt = this.connectedAtMs;
    return {
      state: this.state,
      since: new Date(this.sinceMs).toISOString(),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      reconnectCount: this.reconnectCount,
      consecutiveFailures: this.failures,
      ...(openedAt !== undefined && this.state === 'connected' ? { connectedAt: new Date(openedAt).toISOString() } : {}),
    };
  }

  /** Subscribe to status changes; returns the unsubscribe function. */
  onStatusChange(listener: (status: StreamStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Single flight: whoever asks for a connect while one is running shares it. Never rejects. */
  private runAttempt(): Promise<void> {
    if (this.attempt) return this.attempt;
    const attempt = this.connectOnce().finally(() => {
      if (this.attempt === attempt) this.attempt = undefined;
    });
    this.attempt = attempt;
    return attempt;
  }

  private async connectOnce(): Promise<void> {
    const connection = this.createConnection();
    this.opening = connection;
    try {
      await connection.client.getEndpoint();
      if (this.stopped) throw new Error('stopped');
      await connection.client._connect();
      if (this.stopped) throw new Error('stopped');
      if (connection.closed) throw new Error('WebSocket closed right after opening');
    } catch (error) {
      this.opening = undefined;
      await connection.client.shutdown();
      if (!this.stopped) this.attemptFailed(error);
      return;
    }
    this.opening = undefined;
    this.connected(connection);
  }

  private createConnection(): Connection {
    const o = this.options;
    // The hooks refer to `connection` (declared below); they only fire once the socket exists.
    const client = new GatewayStreamClient({
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      gatewayUrl: o.gatewayUrl ?? GATEWAY_URL,
      ua: o.ua ?? 'xpert-plugin-dingtalk-nodejs/0.1',
      keepAlive: o.keepAlive ?? true,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      requestTimeoutMs: o.requestTimeoutMs ?? 10000,
      hooks: {
        onSocketClose: (code) => this.socketClosed(connection, code),
        onDisconnectFrame: () => this.disconnectFrame(connection),
        onEvent: (message) => void this.dispatcher.handleEvent(connection.client, message),
        onBadFrame: (error) => this.logger.warn(`DingTalk stream: unreadable frame on connection ${connection.id} (${describeStreamError(error, [o.clientSecret])})`),
      },
    });
    const connection: Connection = { id: this.nextId++, client, established: false, closed: false };
    // registerCallbackListener also adds the CALLBACK subscription sent with the open request.
    for (const topic of [TOPIC_ROBOT, TOPIC_CARD]) {
      connection.client.registerCallbackListener(topic, (message) => void this.dispatcher.handleCallback(connection.client, message));
    }
    return connection;
  }

  private connected(connection: Connection): void {
    const previous = this.current;
    connection.established = true;
    connection.openedAtMs = this.now();
    this.current = connection;
    this.connectedAtMs = connection.openedAtMs;
    if (previous && previous !== connection) this.beginDrain(previous);
    if (this.everConnected) this.reconnectCount += 1;
    this.everConnected = true;
    this.lastError = undefined;
    if (this.retryTimer !== undefined) this.cancel(this.retryTimer);
    this.retryTimer = undefined;
    this.logger.log(`DingTalk stream connected (connection ${connection.id}, reconnects ${this.reconnectCount})`);
    this.setState('connected', true);
  }

  private attemptFailed(error: unknown): void {
    this.failures += 1;
    this.lastError = describeStreamError(error, [this.options.clientSecret]);
    // A refused credential will not heal by retrying, so say `failed`; we still retry at backoff pace.
    this.setState(isCredentialRejection(error) ? 'failed' : 'reconnecting', true);
    this.logger.warn(`DingTalk stream: connect attempt failed (${this.lastError})`);
    this.scheduleRetry();
  }

  private socketClosed(connection: Connection, code: number): void {
    connection.closed = true;
    void connection.client.shutdown(); // also clears the SDK heartbeat timer it leaves behind
    if (!connection.established || this.stopped) return;
    if (this.draining.has(connection)) {
      this.cancel(this.draining.get(connection));
      this.draining.delete(connection);
      this.logger.debug(`DingTalk stream: drained connection ${connection.id} closed (${code})`);
      if (!this.current && !this.attempt) this.scheduleRetry();
      return;
    }
    if (connection !== this.current) return;
    this.current = undefined;
    this.connectedAtMs = undefined;
    this.failures = this.wasHealthy(connection) ? 0 : this.failures + 1;
    this.lastError = `WebSocket closed (code ${code})`;
    this.logger.warn(`DingTalk stream: connection ${connection.id} lost (code ${code}); reconnecting`);
    this.setState('reconnecting', true);
    if (!this.attempt) this.scheduleRetry();
  }

  /**
   * The server announced it will close this socket (~10 s later). Open the replacement now so the app
   * is never without a connection; the old socket keeps delivering and ACKing until it closes. A
   * connection told to go before it proved healthy gets the normal backoff, so a server that keeps
   * sending `disconnect` cannot make us loop.
   */
  private disconnectFrame(connection: Connection): void {
    if (this.stopped || connection !== this.current) return;
    this.current = undefined;
    this.beginDrain(connection);
    this.logger.log(`DingTalk stream: server asked connection ${connection.id} to disconnect; opening a new one`);
    if (this.wasHealthy(connection)) {
      this.failures = 0;
      void this.runAttempt();
    } else {
      this.failures += 1;
      this.scheduleRetry();
    }
  }

  private beginDrain(connection: Connection): void {
    if (this.draining.has(connection) || connection.closed) return;
    const drainTimeout = this.options.drainTimeoutMs ?? 15000;
    this.draining.set(
      connection,
      this.schedule(() => void connection.client.shutdown(), drainTimeout),
    );
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined || this.current) return;
    // failures 0 (a healthy connection just ended) -> [0, base]; each further failure doubles the window.
    const delay = reconnectDelay(this.failures, this.backoff, this.options.random);
    this.logger.debug(`DingTalk stream: next connect attempt in ${delay} ms (failures ${this.failures})`);
    this.retryTimer = this.schedule(() => {
      this.retryTimer = undefined;
      void this.runAttempt();
    }, delay);
  }

  private wasHealthy(connection: Connection): boolean {
    const healthyAfter = this.options.healthyAfterMs ?? 10000;
    return connection.openedAtMs !== undefined && this.now() - connection.openedAtMs >= healthyAfter;
  }

  private setState(state: StreamState, notifyEvenIfSame = false): void {
    if (state === this.state && !notifyEvenIfSame) return;
    if (state !== this.state) this.sinceMs = this.now();
    this.state = state;
    const snapshot = this.status();
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        this.logger.warn(`DingTalk stream: status listener threw (${describeStreamError(error, [this.options.clientSecret])})`);
      }
    }
  }
}
