import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenRequestRecord, Subscription } from './stream-gateway-frames';

/**
 * Step 1 of the Stream protocol (fact sheet §7a): `POST /v1.0/gateway/connections/open` checks the app's
 * credentials and hands out a ticket that opens exactly one WebSocket within its lifetime (90 s at
 * DingTalk). Every request is recorded without its secret.
 */

export interface Ticket {
  clientId: string;
  subscriptions: Subscription[];
  ua: string;
  expiresAt: number;
}

export interface TicketDeskOptions {
  validateApp(clientId: string, clientSecret: string): boolean;
  endpoint(req: IncomingMessage): string;
  ticketTtlMs: number;
  now: () => number;
}

const MAX_BODY_BYTES = 64 * 1024;

export class TicketDesk {
  private readonly tickets = new Map<string, Ticket>();
  private readonly log: OpenRequestRecord[] = [];

  constructor(private readonly options: TicketDeskOptions) {}

  /** Answers the open-connection request (never rejects; bad input gets a DingTalk-style 4xx). */
  async handleOpen(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = await readJsonBody(req);
    } catch {
      sendJson(res, 400, errorBody('InvalidParameter', 'request body must be JSON'));
      return;
    }
    const input = (body && typeof body === 'object' ? body : {}) as { clientId?: unknown; clientSecret?: unknown; subscriptions?: unknown; ua?: unknown };
    const clientId = typeof input.clientId === 'string' ? input.clientId : '';
    const subscriptions = Array.isArray(input.subscriptions)
      ? input.subscriptions
          .filter((s): s is Subscription => !!s && typeof s.type === 'string' && typeof s.topic === 'string')
          .map((s) => ({ type: s.type, topic: s.topic }))
      : [];
    const ua = typeof input.ua === 'string' ? input.ua : '';
    const record = (status: number) => this.log.push({ clientId, subscriptions, ua, accept: req.headers.accept, status, at: this.options.now() });

    if (!clientId || typeof input.clientSecret !== 'string' || !input.clientSecret) {
      record(400);
      sendJson(res, 400, errorBody('MissingParameter', 'clientId and clientSecret are required'));
      return;
    }
    if (!this.options.validateApp(clientId, input.clientSecret)) {
      record(401);
      sendJson(res, 401, errorBody('InvalidAuthentication', 'clientId or clientSecret is invalid'));
      return;
    }
    const ticket = randomUUID();
    this.tickets.set(ticket, { clientId, subscriptions, ua, expiresAt: this.options.now() + this.options.ticketTtlMs });
    record(200);
    sendJson(res, 200, { endpoint: this.options.endpoint(req), ticket });
  }

  /** Redeems a ticket: the first call for a live ticket gets it, every later call (or expiry) gets undefined. */
  take(key: string): Ticket | undefined {
    const ticket = this.tickets.get(key);
    this.tickets.delete(key);
    return ticket && ticket.expiresAt >= this.options.now() ? ticket : undefined;
  }

  requests(clientId?: string): OpenRequestRecord[] {
    return this.log.filter((r) => !clientId || r.clientId === clientId).map((r) => structuredClone(r));
  }
}

/** New-family DingTalk error body (fact sheet §6b). */
export function errorBody(code: string, message: string): Record<string, string> {
  return { code, message, requestid: randomBytes(8).toString('hex') };
}

function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json;charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
