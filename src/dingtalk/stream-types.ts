import type { BackoffOptions as PluginBackoffOptions } from '../kernel/backoff';
import { silentLogger, type PersistenceLogger } from '../kernel/logger';
import type { DWClientDownStream } from 'dingtalk-stream';

/** Minimal logger; Nest's `Logger` fits. Never pass secrets or message bodies at `log` or above. */
export type StreamLogger = PersistenceLogger;

/** Default logger: drops everything, so the wrapper never needs a null check. */
export const silentStreamLogger: StreamLogger = silentLogger;

/** Headers of a downstream frame exactly as DingTalk sends them (all values are strings). */
export type StreamFrameHeaders = DWClientDownStream['headers'];

/** What a handler learns about the frame besides its data. `messageId` is the dedupe key for intake. */
export interface StreamMessageMeta {
  messageId: string;
  topic: string;
  type: 'CALLBACK' | 'EVENT';
  /** Server time of the push (ms since epoch, as sent: a string). */
  time?: string;
  /** DingTalk's id of the WebSocket connection the frame arrived on. */
  connectionId?: string;
}

/**
 * The three kinds of inbound work. Every handler must resolve only after the message is durable
 * (inbox row committed): the ACK is sent after it resolves, and a rejection means "not acknowledged"
 * so DingTalk delivers the frame again. `data` is the frame's JSON `data` parsed, or the raw string
 * when it is not JSON (the handler decides what to do with junk).
 */
export interface StreamHandlers {
  onRobotMessage(data: unknown, meta: StreamMessageMeta): Promise<void>;
  /** May return the card update DingTalk applies right away (sent back as `{response: <value>}`). */
  onCardCallback(data: unknown, meta: StreamMessageMeta): Promise<unknown>;
  /** EVENT frames (subscription `*`). Without it events are acknowledged as consumed. */
  onEvent?(headers: StreamFrameHeaders, data: unknown): Promise<void>;
}

/** Reconnect backoff: the plugin's one backoff options (the random source is the stream's own). */
export type BackoffOptions = Omit<PluginBackoffOptions, 'random'>;

export type StreamState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped' | 'failed';

export interface StreamStatus {
  state: StreamState;
  /** When `state` last changed (ISO 8601). */
  since: string;
  /** Why the last attempt or connection ended; cleared by a successful connect. Never holds secrets. */
  lastError?: string;
  /** Connections established after the first one (reconnects and planned handovers). */
  reconnectCount: number;
  /** Failed attempts / short-lived connections since the last healthy connection (drives backoff). */
  consecutiveFailures: number;
  /** When the current connection opened (ISO 8601); absent when not connected. */
  connectedAt?: string;
}

export type TimerHandle = unknown;

export interface DingTalkStreamOptions extends StreamHandlers {
  clientId: string;
  clientSecret: string;
  /** Defaults to DingTalk's `POST /v1.0/gateway/connections/open`; the simulator passes its own. */
  gatewayUrl?: string;
  logger?: StreamLogger;
  /** WebSocket ping every heartbeat; a missing pong terminates the socket so we reconnect. Default true. */
  keepAlive?: boolean;
  /** SDK heartbeat period (its default is 8 s); tests shorten it. */
  heartbeatIntervalMs?: number;
  /** Reconnect backoff: delay = random() * min(maxMs, baseMs * 2^n). Defaults 1 s and 60 s. */
  backoff?: Partial<BackoffOptions>;
  /** A connection that stayed up this long resets the backoff. Default 10 s. */
  healthyAfterMs?: number;
  /** After a SYSTEM `disconnect`, close the old socket ourselves if the server has not after this. Default 15 s. */
  drainTimeoutMs?: number;
  /** Timeout of the open-connection HTTP request. Default 10 s. */
  requestTimeoutMs?: number;
  /** `ua` sent to the gateway (`name-sdk-lang/version`). */
  ua?: string;
  onStatusChange?(status: StreamStatus): void;
  random?: () => number;
  setTimeout?: (callback: () => void, ms: number) => TimerHandle;
  clearTimeout?: (handle: TimerHandle) => void;
  now?: () => number;
}
