import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventEmitter } from 'node:events';
import type { SimClock } from './clock';
import type { RouteOptions, SimCall, SimHandler, SimLogger, SimRequest, SimResponse } from './types';

/**
 * The simulator's tiny HTTP layer: a route table (exact paths before prefixes, first match wins),
 * JSON body parsing, a record of every call (tokens and secrets removed) and JSON answers.
 * A `guard` runs before each handler — faults, token check, rate limit, permission — and may answer
 * instead of it. Anything can be mounted with `route()`; the Stream gateway is meant to be.
 */

export interface Route {
  method: string;
  path: string;
  handler: SimHandler;
  options: RouteOptions;
}

export type RouteGuard = (route: Route, req: SimRequest) => Promise<SimResponse | undefined>;
/** Runs after the handler, before the answer leaves (e.g. holding it back past a client's timeout). */
export type AnswerDelay = (route: Route, req: SimRequest) => Promise<void>;

const MAX_BODY_BYTES = 2 * 1024 * 1024;
const HIDDEN_HEADERS = new Set(['x-acs-dingtalk-access-token', 'authorization', 'cookie']);
const HIDDEN_QUERY = new Set(['access_token', 'appsecret']);
const HIDDEN_BODY_KEYS = new Set(['appSecret', 'clientSecret', 'client_secret']);

export class HttpRouter {
  private readonly routes: Route[] = [];
  private readonly log: SimCall[] = [];
  private seq = 0;

  constructor(
    private readonly deps: { clock: SimClock; logger: SimLogger; events: EventEmitter; guard: RouteGuard; delay?: AnswerDelay },
  ) {}

  route(method: string, path: string, handler: SimHandler, options: RouteOptions = {}): void {
    this.routes.push({ method: method.toUpperCase(), path, handler, options });
  }

  calls(): SimCall[] {
    return structuredClone(this.log);
  }

  clearCalls(): void {
    this.log.length = 0;
  }

  /** Node `request` listener. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((error) => {
      this.deps.logger.error(`simulator: handler failed: ${(error as Error).message}`);
      if (!res.headersSent) send(res, { status: 500, body: { code: 'system.error', message: 'simulator handler failed' } });
    });
  };

  private find(method: string, path: string): Route | undefined {
    const candidates = this.routes.filter((r) => r.method === method || r.method === '*');
    return candidates.find((r) => !r.options.prefix && r.path === path) ?? candidates.find((r) => r.options.prefix && path.startsWith(r.path));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.local');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawBody = await readBody(req);
    if (rawBody === undefined) return send(res, { status: 413, body: { code: 'requestEntityTooLarge', message: 'body too large' } });
    const simReq: SimRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: parseBody(rawBody),
      rawBody,
    };
    const route = this.find(method, url.pathname);
    if (route?.options.record !== false) simReq.call = this.record(simReq);
    const refusal = route ? await this.deps.guard(route, simReq) : undefined;
    const answer = route ? (refusal ?? (await route.handler(simReq))) : { status: 404, body: { code: 'resource.not.found', message: `no simulated API ${method} ${url.pathname}` } };
    if (route && !refusal && this.deps.delay) await this.deps.delay(route, simReq);
    if (simReq.call) {
      simReq.call.status = answer.status ?? 200;
      simReq.call.errorCode = errorCodeOf(answer);
      if (simReq.app) simReq.call.clientId = simReq.app.clientId;
    }
    if (!res.destroyed) send(res, answer);
  }

  private record(req: SimRequest): SimCall {
    const call: SimCall = {
      seq: ++this.seq,
      method: req.method,
      path: req.path,
      query: Object.fromEntries(Object.entries(req.query).filter(([k]) => !HIDDEN_QUERY.has(k.toLowerCase()))),
      headers: Object.fromEntries(
        Object.entries(req.headers)
          .filter(([k]) => !HIDDEN_HEADERS.has(k.toLowerCase()))
          .map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]),
      ),
      body: redactBody(req.body),
      time: this.deps.clock.now(),
    };
    this.log.push(call);
    this.deps.events.emit('call', call);
    return call;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') return '';
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function redactBody(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return structuredClone(body);
  return Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, HIDDEN_BODY_KEYS.has(k) ? '***' : structuredClone(v)]));
}

function errorCodeOf(answer: SimResponse): string | undefined {
  const body = answer.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') return undefined;
  if (body.errcode !== undefined && body.errcode !== 0) return String(body.errcode);
  if ((answer.status ?? 200) >= 400 && typeof body.code === 'string') return body.code;
  return undefined;
}

function send(res: ServerResponse, answer: SimResponse): void {
  const status = answer.status ?? 200;
  const headers = { ...(answer.headers ?? {}) };
  let payload: Buffer | string;
  if (answer.raw !== undefined) {
    payload = answer.raw;
  } else {
    payload = answer.body === undefined ? '' : JSON.stringify(answer.body);
    headers['content-type'] ??= 'application/json;charset=utf-8';
  }
  res.writeHead(status, headers);
  res.end(payload);
}
