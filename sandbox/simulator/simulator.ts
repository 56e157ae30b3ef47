import { createServer, type Server } from 'node:http';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { AppRegistry } from './app-registry';
import { SimClock } from './clock';
import type { SimContext } from './context';
import { DirectoryStore } from './directory-store';
import { FaultController } from './fault-controller';
import { FileStore } from './file-store';
import { HttpRouter } from './http-router';
import { MessageStore } from './message-store';
import { createRequestGuard } from './request-guard';
import { registerAdminRoutes } from './routes/admin-routes';
import { registerAuthRoutes } from './routes/auth-routes';
import { registerCardRoutes } from './routes/card-routes';
import { registerContactRoutes } from './routes/contact-routes';
import { registerFileRoutes } from './routes/file-routes';
import { registerMediaRoutes } from './routes/media-routes';
import { registerRobotRoutes } from './routes/robot-routes';
import { registerSessionRoutes } from './routes/session-routes';
import { SessionStore } from './session-store';
import { StreamGateway, type StreamRedelivery } from './stream-gateway';
import { CardCallbackRegistry } from './card-callback-registry';
import { TokenStore } from './token-store';
import type { RouteOptions, SimCall, SimHandler, SimLogger, SimMessage } from './types';

/**
 * A local DingTalk: the OpenAPI subset the plugin uses, both families on ONE origin (use `baseUrl`
 * as both `apiBaseUrl` and `oapiBaseUrl`), with DingTalk's validation and error shapes, a record of
 * every call, the messages the robot sent, and injectable faults.
 *
 * Extension point (for the Stream gateway and anything else): `route(method, path, handler, options)`
 * mounts a JSON route on the same server, with the same call record and guard pipeline
 * (`options.family` decides the token check); `server` is the `http.Server` (attach a WebSocket
 * `upgrade` listener to it); `apps` is the ClientID → app registry (`apps.validate(id, secret)`).
 * `events` emits `call` (SimCall) and `message` (SimMessage copy) for live views.
 */

export interface SimulatorOptions {
  logger?: SimLogger;
  /** Base clock (epoch ms); `advanceTime` moves the simulator's view of it. Default Date.now. */
  now?: () => number;
  /** Port to listen on; default 0 (random). */
  port?: number;
  host?: string;
  /** How long a Stream push waits for its ACK before it resolves `{acked: false}`; default 15 s. */
  streamAckTimeoutMs?: number;
  /** Whether the Stream gateway ever pushes a robot message or card callback again; default `none`. */
  streamRedelivery?: StreamRedelivery;
  /** `sdk-60s`: how long an unacknowledged robot message waits before its one re-push; default 60 s. */
  streamRedeliveryAfterMs?: number;
}

export interface DingTalkSimulator {
  readonly baseUrl: string;
  readonly port: number;
  readonly server: Server;
  readonly apps: AppRegistry;
  readonly clock: SimClock;
  readonly faults: FaultController;
  readonly directory: DirectoryStore;
  readonly files: FileStore;
  readonly sessions: SessionStore;
  readonly events: EventEmitter;
  /** Stream mode: `POST /v1.0/gateway/connections/open` and the WebSocket it hands out. */
  readonly gateway: StreamGateway;
  /** Card callback routes registered by apps, and card clicks routed through them. */
  readonly cardCallbacks: CardCallbackRegistry;
  now(): number;
  advanceTime(ms: number): void;
  /** Lifetime of newly issued (or extended) access tokens, in seconds. Default 7200. */
  setTokenTtl(seconds: number): void;
  /** Invalidates every issued access token. */
  revokeTokens(): void;
  /** Every call, oldest first (tokens and secrets removed). */
  calls(filter?: { path?: string | RegExp; method?: string }): SimCall[];
  clearCalls(): void;
  messages(): SimMessage[];
  clearMessages(): void;
  /** Puts back the chats of an earlier run (sandbox restarts). */
  restoreMessages(records: readonly SimMessage[]): void;
  route(method: string, path: string, handler: SimHandler, options?: RouteOptions): void;
  close(): Promise<void>;
}

const silent: SimLogger = { debug() {}, log() {}, warn() {}, error() {} };

export async function createSimulator(options: SimulatorOptions = {}): Promise<DingTalkSimulator> {
  const logger = options.logger ?? silent;
  const events = new EventEmitter();
  const clock = new SimClock(options.now);
  const apps = new AppRegistry();
  const tokens = new TokenStore(clock);
  const faults = new FaultController(clock);
  const messages = new MessageStore(clock, events);
  const directory = new DirectoryStore();
  const files = new FileStore();
  let baseUrl = '';
  const sessions = new SessionStore(clock, () => baseUrl);

  // Injected latency must not keep a closed simulator alive: pending waits are released on close.
  let closed = false;
  type PendingWait = { timer?: NodeJS.Timeout; resolve: (open: boolean) => void };
  const waits = new Set<PendingWait>();
  const wait = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const entry: PendingWait = { resolve };
      entry.timer = setTimeout(() => {
        waits.delete(entry);
        resolve(!closed);
      }, ms);
      waits.add(entry);
    });

  const router = new HttpRouter({
    clock,
    logger,
    events,
    guard: createRequestGuard({ faults, tokens, apps, wait }),
    delay: async (_route, req) => {
      const ms = faults.takeLateAnswer(req.path);
      if (ms > 0) await wait(ms);
    },
  });
  const route = (method: string, path: string, handler: SimHandler, routeOptions?: RouteOptions) => router.route(method, path, handler, routeOptions);
  const ctx: SimContext = { route, baseUrl: () => baseUrl, clock, apps, tokens, messages, sessions, directory, files, faults };
  registerAuthRoutes(ctx);
  registerRobotRoutes(ctx);
  registerCardRoutes(ctx);
  const cardCallbacks = new CardCallbackRegistry({ clock, messages, corpIdOf: (clientId) => apps.get(clientId)?.corpId, gateway: () => gateway });
  cardCallbacks.mount(ctx);
  registerContactRoutes(ctx);
  registerFileRoutes(ctx);
  registerMediaRoutes(ctx);
  registerSessionRoutes(ctx);
  registerAdminRoutes(ctx, { list: () => router.calls(), clear: () => router.clearCalls() });

  const gateway = new StreamGateway({ validateApp: (id, secret) => apps.validate(id, secret) !== undefined, logger, ackTimeoutMs: options.streamAckTimeoutMs, redelivery: options.streamRedelivery, redeliveryAfterMs: options.streamRedeliveryAfterMs });
  // The gateway answers its own open request; everything else is the OpenAPI router's.
  const server = createServer((req, res) => {
    if (!gateway.handleHttp(req, res)) void router.handle(req, res);
  });
  gateway.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${address.address}:${address.port}`;
  logger.debug(`DingTalk simulator listening on ${baseUrl}`);

  return {
    baseUrl,
    port: address.port,
    server,
    apps,
    clock,
    faults,
    directory,
    files,
    sessions,
    events,
    gateway,
    cardCallbacks,
    now: () => clock.now(),
    advanceTime: (ms) => clock.advance(ms),
    setTokenTtl: (seconds) => tokens.setTtl(seconds),
    revokeTokens: () => tokens.revokeAll(),
    calls: (filter) =>
      router.calls().filter((c) => {
        if (filter?.method && c.method !== filter.method.toUpperCase()) return false;
        if (filter?.path === undefined) return true;
        return typeof filter.path === 'string' ? c.path === filter.path : filter.path.test(c.path);
      }),
    clearCalls: () => router.clearCalls(),
    messages: () => messages.list(),
    clearMessages: () => messages.clear(),
    restoreMessages: (records) => messages.restore(records),
    route,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const entry of waits) {
        clearTimeout(entry.timer);
        entry.resolve(false);
      }
      waits.clear();
      events.removeAllListeners();
      await gateway.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
