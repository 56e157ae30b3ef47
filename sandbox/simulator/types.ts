import type { IncomingMessage } from 'node:http';

/** Shapes shared by the DingTalk simulator's parts. */

export interface SimLogger {
  debug(message: string, ...meta: unknown[]): void;
  log(message: string, ...meta: unknown[]): void;
  warn(message: string, ...meta: unknown[]): void;
  error(message: string, ...meta: unknown[]): void;
}

/** An enterprise-internal app known to the simulator. */
export interface SimApp {
  clientId: string;
  clientSecret: string;
  /** Defaults to clientId. */
  robotCode: string;
  /** Granted permission scopes; undefined = every scope granted. */
  scopes?: string[];
  corpId: string;
}

export interface SimAppInput {
  clientId: string;
  clientSecret: string;
  robotCode?: string;
  scopes?: string[];
  corpId?: string;
}

/** One recorded HTTP call (tokens and secrets removed). */
export interface SimCall {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  /** Simulator clock (epoch ms) when the call arrived. */
  time: number;
  /** Answer status; undefined while the call is still being answered (e.g. injected latency). */
  status?: number;
  /** DingTalk error code of the answer (`code` or `errcode`), when it was an error. */
  errorCode?: string;
  /** ClientID resolved from the access token, when there was one. */
  clientId?: string;
}

export type SimMessageKind = 'robot' | 'card' | 'webhook';
export type SimMessageStatus = 'sent' | 'recalled' | 'updated';

export interface SimMessageEvent {
  at: number;
  event: 'sent' | 'updated' | 'streamed' | 'recalled';
  content?: unknown;
}

/** Something the robot put into a chat. Copies are handed out; mutate through the APIs. */
export interface SimMessage {
  /** Unique record id. */
  id: string;
  /** Robot sends; shared by all recipients of one batchSend. */
  processQueryKey?: string;
  /** Cards. */
  outTrackId?: string;
  kind: SimMessageKind;
  clientId: string;
  robotCode?: string;
  target: { type: 'user' | 'group'; id: string };
  /** `sampleText`…, or the webhook `msgtype`, or the card template id. */
  msgKey?: string;
  /** Parsed msgParam, webhook body, or card data (`{cardTemplateId, cardParamMap, …}`). */
  content: unknown;
  status: SimMessageStatus;
  history: SimMessageEvent[];
  sentAt: number;
}

export interface SimRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  /** Parsed JSON when the body is JSON, else the raw text ('' when empty). */
  body: unknown;
  rawBody: Buffer;
  /** The app owning the access token (routes with `auth`). */
  app?: SimApp;
  /** The recorded call, for handlers that want to annotate it. */
  call?: SimCall;
}

export interface SimResponse {
  status?: number;
  /** Serialised as JSON unless `raw` is set. */
  body?: unknown;
  raw?: Buffer | string;
  headers?: Record<string, string>;
}

export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export interface RouteOptions {
  /**
   * Which DingTalk family the route belongs to: decides the token check (`new` = header
   * `x-acs-dingtalk-access-token`, `old` = query `access_token`) and the error shapes. `none` = no token.
   */
  family?: 'new' | 'old' | 'none';
  /** Permission scope the app needs (checked against `SimApp.scopes` and the `missingScope` fault). */
  scope?: string;
  /** Match every path starting with `path` instead of the exact path. */
  prefix?: boolean;
  /** Record in `calls()`. Default true. */
  record?: boolean;
  /** Shape of injected errors on a `none`-family route (e.g. session webhooks answer old-style). */
  errorStyle?: 'new' | 'old';
  /** Subject to path-less faults (throttle, serverError, latency, rate limit). Default true except family `none` + record false. */
  faults?: boolean;
}

export type PathMatcher = string | RegExp;
