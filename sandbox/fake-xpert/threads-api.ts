/**
 * A fake of the Xpert host's Agent Protocol threads API (`/api/ai/threads…`), served over real HTTP,
 * for integration tests and the sandbox. It mirrors what the plugin relies on (chat API notes §1.5,
 * §2): `x-api-key`/Bearer auth with a Nest-style 401, idempotent thread creation, a 500 for a run on
 * an unknown thread, the 3.7.2 legacy body (`input.input.input`, resume via `input.command`) and
 * Nest's SSE framing (a bare `\n` first, then `id: n` + `data: <json>` per event).
 *
 * Mount it inside another server with `handle(req, res)` (it answers only `/api/ai/…`), or run it
 * alone with `listen()` on 127.0.0.1 and a random port.
 */
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DINGTALK_THREAD_NAMESPACE, uuidV5 } from '../../src/runner/thread-id';
import { DemoFrame, DemoRequest, DemoThread, playDemoTurn } from './demo-expert';
import { DemoModel, EchoDemoModel } from './demo-model';

export interface FakeLogger {
  debug(message: string, ...meta: unknown[]): void;
  log(message: string, ...meta: unknown[]): void;
  warn(message: string, ...meta: unknown[]): void;
  error(message: string, ...meta: unknown[]): void;
}

export interface FakeThreadsApiOptions {
  apiKey: string;
  /** Known xpert ids; when given, any other `assistant_id` gets a 404 like an unknown xpert. */
  experts?: string[];
  logger?: FakeLogger;
  /** Answer source for plain messages; the deterministic echo by default. */
  model?: DemoModel;
  /** Threads an earlier run kept (`exportThreads()`): the demo expert remembers them. */
  threads?: readonly StoredThread[];
  /** Close each stream with `event: complete` like threads streams from host 3.8 on. */
  emitComplete?: boolean;
}

export interface FakeThreadSnapshot {
  threadId: string;
  conversationId: string;
  title: string;
  turns: number;
  history: { role: 'human' | 'ai'; content: string }[];
  interrupted: boolean;
}

/** One recorded `runs/stream` request (never the API key). */
export interface FakeRunRecord {
  threadId: string;
  assistantId?: string;
  kind: 'send' | 'resume' | 'rejected';
  status: number;
  body: unknown;
  /** Epoch ms the run began streaming and ended; `aborted` when the client hung up before the end. */
  startedAt?: number;
  endedAt?: number;
  outcome?: 'completed' | 'aborted';
}

export interface FakeThreadsApi {
  /** Handles `/api/ai/…` requests; returns false (and does nothing) for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Starts a dedicated server on 127.0.0.1:random; resolves to its base URL (origin, no `/api`). */
  listen(): Promise<string>;
  close(): Promise<void>;
  threads(): FakeThreadSnapshot[];
  runs(): FakeRunRecord[];
  /** Every thread as stored state, for `options.threads` of the next run. */
  exportThreads(): StoredThread[];
}

export type StoredThread = DemoThread & { assistantId?: string; updatedAt: string };

const MAX_BODY_BYTES = 1024 * 1024;
const RUN_STREAM = /^\/api\/ai\/threads\/([^/]+)\/runs\/stream$/;
const THREAD = /^\/api\/ai\/threads\/([^/]+)$/;

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

class HttpFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string): void {
  const error = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : status >= 500 ? 'Internal Server Error' : 'Bad Request';
  sendJson(res, status, { statusCode: status, message, error });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpFailure(413, 'Payload Too Large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpFailure(400, 'Invalid JSON body');
  }
}

/** Reads the legacy body the way 3.7.2 does; throws what the host would answer for bad shapes. */
function toDemoRequest(body: Json): DemoRequest {
  const input = body.input;
  // The host dereferences `input.input.input`: a missing object is a TypeError, i.e. a 500.
  if (!isRecord(input) || !isRecord(input.input)) throw new HttpFailure(500, "Cannot read properties of undefined (reading 'input')");
  if (input.command !== undefined || input.confirm !== undefined) {
    const resume = isRecord(input.command) ? input.command.resume : undefined;
    const decisions = isRecord(resume) && Array.isArray(resume.decisions) ? resume.decisions : [];
    const first = isRecord(decisions[0]) ? decisions[0] : {};
    const reject = input.confirm === false || first.type === 'reject';
    const message = typeof first.message === 'string' ? first.message : undefined;
    return reject ? { kind: 'resume', decision: 'reject', ...(message ? { message } : {}) } : { kind: 'resume', decision: 'confirm' };
  }
  const text = input.input.input;
  return { kind: 'send', text: typeof text === 'string' ? text : '' };
}

export function createFakeThreadsApi(options: FakeThreadsApiOptions): FakeThreadsApi {
  const model = options.model ?? new EchoDemoModel();
  const logger = options.logger;
  const threads = new Map<string, StoredThread>((options.threads ?? []).map((thread) => [thread.threadId, structuredClone(thread) as StoredThread]));
  const runs: FakeRunRecord[] = [];
  const openStreams = new Set<ServerResponse>();
  let server: Server | undefined;
  let runCounter = 0;

  const authorized = (req: IncomingMessage): boolean => {
    const header = req.headers['x-api-key'];
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = (Array.isArray(header) ? header[0] : header) ?? bearer;
    return token === options.apiKey;
  };

  const threadDto = (thread: DemoThread & { assistantId?: string; updatedAt: string }) => ({
    thread_id: thread.threadId,
    status: thread.pending ? 'interrupted' : 'idle',
    created_at: thread.createdAt,
    updated_at: thread.updatedAt,
    metadata: { id: thread.conversationId, title: thread.title, ...(thread.assistantId ? { assistant_id: thread.assistantId } : {}) },
    values: {},
  });

  const createThread = (body: Json, res: ServerResponse): void => {
    const threadId = typeof body.thread_id === 'string' && body.thread_id ? body.thread_id : randomUUID();
    const existing = threads.get(threadId);
    if (existing) {
      if (body.if_exists === 'raise') return sendError(res, 409, `Thread ${threadId} already exists`);
      return sendJson(res, 200, threadDto(existing));
    }
    const metadata = isRecord(body.metadata) ? body.metadata : {};
    const now = new Date().toISOString();
    const thread = {
      threadId,
      conversationId: uuidV5(`conversation:${threadId}`, DINGTALK_THREAD_NAMESPACE),
      title: typeof metadata.title === 'string' ? metadata.title : '',
      createdAt: now,
      updatedAt: now,
      turns: 0,
      history: [],
    };
    threads.set(threadId, thread);
    logger?.debug('fake xpert: thread created', { threadId });
    sendJson(res, 200, threadDto(thread));
  };

  const streamRun = async (threadId: string, body: Json, res: ServerResponse): Promise<void> => {
    const assistantId = typeof body.assistant_id === 'string' ? body.assistant_id : undefined;
    const record: FakeRunRecord = { threadId, assistantId, kind: 'rejected', status: 200, body };
    runs.push(record);
    try {
      const thread = threads.get(threadId);
      // The host's conversation lookup returns nothing and the handler fails: a 500, not a 404.
      if (!thread) throw new HttpFailure(500, 'Internal server error');
      if (!assistantId) throw new HttpFailure(400, 'assistant_id is required');
      if (options.experts && !options.experts.includes(assistantId)) throw new HttpFailure(404, `Xpert ${assistantId} not found`);
      const request = toDemoRequest(body);
      if (request.kind === 'resume' && !thread.pending) throw new HttpFailure(400, 'No pending interrupt to resume');
      record.kind = request.kind;
      thread.assistantId ??= assistantId;
      await writeStream(thread, request, res, record);
      thread.updatedAt = new Date().toISOString();
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      record.status = error.status;
      sendError(res, error.status, error.message);
    }
  };

  const writeStream = async (thread: DemoThread, request: DemoRequest, res: ServerResponse, record: FakeRunRecord): Promise<void> => {
    const abort = new AbortController();
    const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    void closed.then(() => abort.abort());
    openStreams.add(res);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let id = 0;
    // Waits for the socket when its buffer is full, so a slow client slows the expert down.
    const write = async (text: string): Promise<void> => {
      if (res.destroyed || res.writableEnded) return;
      if (!res.write(text)) await Promise.race([new Promise<void>((resolve) => res.once('drain', () => resolve())), closed]);
    };
    const frameText = (frame: DemoFrame): string => {
      id += 1;
      switch (frame.kind) {
        case 'data':
          return `id: ${id}\ndata: ${JSON.stringify(frame.payload)}\n\n`;
        case 'keepalive': // what Nest makes of the string ': keep-alive\n\n' pushed into the Observable
          return `id: ${id}\ndata: : keep-alive\ndata: \ndata: \n\n`;
        case 'error':
          return `event: error\nid: ${id}\ndata: ${frame.message}\n\n`;
        case 'complete':
          return `event: complete\nid: ${id}\ndata: {"type":"complete"}\n\n`;
      }
    };
    record.startedAt = Date.now();
    try {
      await write('\n');
      const runIndex = ++runCounter;
      for await (const frame of playDemoTurn(thread, request, { model, signal: abort.signal, closed, runIndex })) {
        if (abort.signal.aborted) break;
        await write(frameText(frame));
      }
      if (options.emitComplete && !abort.signal.aborted) await write(frameText({ kind: 'complete' }));
    } catch (error) {
      logger?.warn('fake xpert: demo turn failed', { message: error instanceof Error ? error.message : String(error) });
      await write(`event: error\nid: ${++id}\ndata: ${error instanceof Error ? error.message : 'error'}\n\n`);
    } finally {
      openStreams.delete(res);
      record.endedAt = Date.now();
      record.outcome = abort.signal.aborted || res.destroyed ? 'aborted' : 'completed';
      if (!res.writableEnded) res.end();
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    if (!authorized(req)) return sendError(res, 401, 'Unauthorized');
    const runMatch = RUN_STREAM.exec(pathname);
    const threadMatch = THREAD.exec(pathname);
    if (req.method === 'POST' && pathname === '/api/ai/threads') {
      const body = await readJson(req);
      return createThread(isRecord(body) ? body : {}, res);
    }
    if (req.method === 'POST' && runMatch) {
      const body = await readJson(req);
      return streamRun(decodeURIComponent(runMatch[1]), isRecord(body) ? body : {}, res);
    }
    if (req.method === 'GET' && threadMatch) {
      const thread = threads.get(decodeURIComponent(threadMatch[1]));
      return thread ? sendJson(res, 200, threadDto(thread)) : sendError(res, 404, 'Thread not found');
    }
    sendError(res, 404, `Cannot ${req.method} ${pathname}`);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    // Express-style mounting strips the prefix from `url` but keeps it in `originalUrl`.
    const rawUrl = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const pathname = new URL(rawUrl, 'http://fake.invalid').pathname;
    if (pathname !== '/api/ai' && !pathname.startsWith('/api/ai/')) return false;
    route(req, res, pathname).catch((error: unknown) => {
      const status = error instanceof HttpFailure ? error.status : 500;
      if (!(error instanceof HttpFailure)) logger?.error('fake xpert: request failed', { message: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) sendError(res, status, error instanceof Error ? error.message : 'Internal server error');
      else res.destroy();
    });
    return true;
  };

  return {
    handle,
    async listen(): Promise<string> {
      if (server) throw new Error('fake threads API is already listening');
      const own = createServer((req, res) => {
        if (!handle(req, res)) sendError(res, 404, `Cannot ${req.method} ${req.url}`);
      });
      server = own;
      await new Promise<void>((resolve, reject) => {
        own.once('error', reject);
        own.listen(0, '127.0.0.1', () => resolve());
      });
      const { port } = own.address() as AddressInfo;
      return `http://127.0.0.1:${port}`;
    },
    async close(): Promise<void> {
      for (const res of openStreams) res.destroy();
      const own = server;
      server = undefined;
      if (!own) return;
      own.closeAllConnections();
      await new Promise<void>((resolve) => own.close(() => resolve()));
    },
    threads: () =>
      [...threads.values()].map((thread) => ({
        threadId: thread.threadId,
        conversationId: thread.conversationId,
        title: thread.title,
        turns: thread.turns,
        history: thread.history.map((entry) => ({ ...entry })),
        interrupted: !!thread.pending,
      })),
    runs: () => runs.map((run) => ({ ...run })),
    exportThreads: () => [...threads.values()].map((thread) => structuredClone(thread)),
  };
}
