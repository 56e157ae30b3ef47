/**
 * Runs an expert through the Xpert host's public Agent Protocol threads API over HTTP and streams
 * the answer (chat API notes §1.5, §2). This is the 3.7.x path: the plugin SDK exports no chat
 * command, so a loopback HTTP call with an API key is the supported way to get a streamed,
 * multi-turn run. Continuity comes from reusing one thread id per session generation.
 *
 * Flow per turn: ensure the thread exists (idempotent POST, cached) → POST runs/stream → check the
 * HTTP status → parse SSE → map → await `onEvent` per event (backpressure) → resolve.
 */
import { DingTalkError } from '../kernel/errors';
import {
  ExpertEventHandler,
  ExpertInterrupt,
  ExpertRunInput,
  ExpertRunResult,
  ExpertRunStatus,
  ExpertRunner,
  ExpertStreamEvent,
  RunnerLogger,
  silentRunnerLogger,
} from './expert-runner.port';
import { SseParser } from './sse-parser';
import { abortedError, hostStatusError, timeoutError, unreachableError } from './xpert-http.errors';
import { XpertEventMapper } from './xpert-event.mapper';
import { buildRunStreamBody, buildThreadCreateBody } from './xpert-run-request';

export { threadIdFor } from './thread-id';

export interface XpertApiRunnerOptions {
  /** Host origin, e.g. `https://xpert.example.com`; a trailing `/api` is tolerated and removed. */
  baseUrl: string;
  /** Xpert API key (`sk-x-…`), sent as `x-api-key`. Never logged. */
  apiKey: string;
  /** Max wait for response headers (connect + first byte). Default 30 s. */
  timeoutMs?: number;
  /** Max gap between two chunks of a running stream. Default 120 s (the host may think for long). */
  idleTimeoutMs?: number;
  /** After the final event, how long to let the host close the response itself. Default 10 s. */
  drainTimeoutMs?: number;
  /** Thread ids remembered as created; oldest forgotten first. Default 10 000. */
  maxCachedThreads?: number;
  logger?: RunnerLogger;
}

type AbortKind = 'caller' | 'connect' | 'idle' | 'drain';

/** One HTTP exchange's abort wiring: the caller's signal plus our own timers. */
class CallControl {
  readonly controller = new AbortController();
  reason: AbortKind | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onCallerAbort = (): void => this.abort('caller');

  constructor(private readonly signal?: AbortSignal) {
    if (signal?.aborted) this.abort('caller');
    else signal?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  arm(kind: AbortKind, ms: number): void {
    this.disarm();
    this.timer = setTimeout(() => this.abort(kind), ms);
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  abort(kind: AbortKind): void {
    this.reason ??= kind;
    this.controller.abort();
  }

  dispose(): void {
    this.disarm();
    this.signal?.removeEventListener('abort', this.onCallerAbort);
  }
}

/** What the events of one run add up to (also rebuilt by the dispatch processor from its envelopes). */
export class RunAccumulator {
  text = '';
  conversationId: string | undefined;
  interrupt: ExpertInterrupt | undefined;
  status: ExpertRunStatus | undefined;
  error: string | undefined;
  errorCode: string | undefined;

  apply(event: ExpertStreamEvent): void {
    if (event.type === 'text') this.text += event.delta;
    else if (event.type === 'conversation') this.conversationId = event.conversationId;
    else if (event.type === 'interrupt') this.interrupt = { operation: event.operation, prompt: event.prompt };
    else if (event.type === 'end') {
      this.status = event.status;
      this.error = event.error;
    }
  }

  result(): ExpertRunResult {
    const status = this.status ?? 'error';
    return {
      text: this.text,
      status,
      ...(this.error !== undefined ? { error: this.error } : {}),
      ...(this.errorCode !== undefined ? { errorCode: this.errorCode } : {}),
      ...(this.conversationId !== undefined ? { conversationId: this.conversationId } : {}),
      ...(status === 'interrupted' && this.interrupt ? { interrupt: this.interrupt } : {}),
    };
  }
}

export class XpertApiRunner implements ExpertRunner {
  readonly name = 'xpert-api';
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly drainTimeoutMs: number;
  private readonly maxCachedThreads: number;
  private readonly logger: RunnerLogger;
  // Insertion-ordered, so the first entry is the oldest when the cache is full.
  private readonly createdThreads = new Set<string>();

  constructor(options: XpertApiRunnerOptions) {
    if (!options.apiKey?.trim()) {
      throw new DingTalkError('dingtalk_expert_config_invalid', 'The Xpert API key is empty. Set it in the DingTalk integration.', 400, { field: 'apiKey' });
    }
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.apiKey = options.apiKey.trim();
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.maxCachedThreads = options.maxCachedThreads ?? 10_000;
    this.logger = options.logger ?? silentRunnerLogger;
  }

  async run(input: ExpertRunInput, onEvent: ExpertEventHandler): Promise<ExpertRunResult> {
    if (input.signal?.aborted) throw abortedError();
    const meta = { xpertId: input.xpertId, threadId: input.threadId, resume: !!input.resume };
    const control = new CallControl(input.signal);
    try {
      await this.ensureThread(input);
      let response: Response;
      try {
        response = await this.post(`/threads/${encodeURIComponent(input.threadId)}/runs/stream`, buildRunStreamBody(input), control, 'runs/stream', 'text/event-stream');
      } catch (error) {
        // The host may have lost the thread (deleted, other database): create it again next time.
        this.createdThreads.delete(input.threadId);
        throw error;
      }
      this.logger.debug('expert run streaming', meta);
      const result = await this.consume(response, control, onEvent, input.signal);
      this.logger.debug('expert run finished', { ...meta, status: result.status, chars: result.text.length, errorCode: result.errorCode });
      return result;
    } catch (error) {
      if (error instanceof DingTalkError) this.logger.warn(`expert run failed: ${error.code}`, meta);
      throw error;
    } finally {
      control.dispose();
    }
  }

  /** Creates the thread once per process; the host answers 200 for an existing thread id too. */
  private async ensureThread(input: ExpertRunInput): Promise<void> {
    if (this.createdThreads.has(input.threadId)) return;
    const control = new CallControl(input.signal);
    try {
      const response = await this.post('/threads', buildThreadCreateBody(input), control, 'threads', 'application/json');
      control.arm('connect', this.timeoutMs);
      await response.arrayBuffer().catch(() => undefined); // release the connection
    } finally {
      control.dispose();
    }
    if (this.createdThreads.size >= this.maxCachedThreads) {
      const oldest = this.createdThreads.values().next().value;
      if (oldest !== undefined) this.createdThreads.delete(oldest);
    }
    this.createdThreads.add(input.threadId);
    this.logger.debug('xpert thread ensured', { threadId: input.threadId });
  }

  /** POSTs JSON; resolves only for a 2xx, with the body unread. Errors are coded. */
  private async post(path: string, body: unknown, control: CallControl, operation: string, accept: string): Promise<Response> {
    if (control.reason === 'caller') throw abortedError();
    control.arm('connect', this.timeoutMs);
    try {
      const response = await fetch(`${this.baseUrl}/api/ai${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept, 'x-api-key': this.apiKey },
        body: JSON.stringify(body),
        signal: control.controller.signal,
      });
      if (!response.ok) {
        const text = await response.text().catch(() => '');
        throw hostStatusError(response.status, text, operation);
      }
      return response;
    } catch (error) {
      if (error instanceof DingTalkError) throw error;
      throw this.failure(control, error);
    } finally {
      control.disarm();
    }
  }

  private failure(control: CallControl, cause: unknown): DingTalkError {
    if (control.reason === 'caller') return abortedError();
    if (control.reason === 'connect') return timeoutError('connect', this.timeoutMs);
    if (control.reason === 'idle') return timeoutError('idle', this.idleTimeoutMs);
    return unreachableError(this.baseUrl, cause);
  }

  /**
   * Reads the SSE body to the final event. From here on the host has accepted the turn, so stream
   * failures resolve as `status:'error'` (see the port) instead of rejecting.
   */
  private async consume(response: Response, control: CallControl, onEvent: ExpertEventHandler, signal?: AbortSignal): Promise<ExpertRunResult> {
    const acc = new RunAccumulator();
    const mapper = new XpertEventMapper();
    const parser = new SseParser();
    const reader = response.body?.getReader();
    let eof = !reader;
    let readError: unknown;
    let clean = false;
    try {
      while (reader && !eof && !mapper.done) {
        let chunk: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
        control.arm('idle', this.idleTimeoutMs);
        try {
          chunk = await reader.read();
        } catch (error) {
          readError = error;
          break;
        } finally {
          control.disarm();
        }
        eof = chunk.done;
        const messages = chunk.done ? parser.end() : parser.push(chunk.value);
        for (const message of messages) {
          for (const event of mapper.map(message)) {
            acc.apply(event);
            await onEvent(event); // awaited: a slow consumer holds the socket read back
          }
        }
        if (signal?.aborted) throw abortedError();
      }
      if (readError !== undefined && control.reason === 'caller') throw abortedError();
      if (!mapper.done) {
        const [errorCode, error] =
          readError === undefined
            ? ['dingtalk_expert_stream_incomplete', 'The expert stream ended before the answer was complete.']
            : control.reason === 'idle'
              ? ['dingtalk_expert_idle_timeout', timeoutError('idle', this.idleTimeoutMs).message]
              : ['dingtalk_expert_stream_broken', 'The connection to the Xpert host broke during the answer.'];
        this.logger.warn(`expert stream failed: ${errorCode}`);
        acc.errorCode = errorCode;
        const end: ExpertStreamEvent = { type: 'end', status: 'error', error };
        acc.apply(end);
        await onEvent(end);
      } else if (reader && !eof) {
        eof = await this.drain(reader, control);
      }
      clean = true;
      return acc.result();
    } finally {
      if (!clean || (reader && !eof)) {
        control.abort('drain');
        await reader?.cancel().catch(() => undefined);
      }
    }
  }

  /**
   * Lets the host finish the response after the final event instead of hanging up: on 3.7.x a
   * closed connection unsubscribes the run, and `event: complete` may still follow on 3.8+.
   */
  private async drain(reader: ReadableStreamDefaultReader<Uint8Array>, control: CallControl): Promise<boolean> {
    control.arm('drain', this.drainTimeoutMs);
    try {
      while (!(await reader.read()).done) {
        // discard: nothing after the final event is shown
      }
      return true;
    } catch {
      return false; // timed out or aborted while draining: the answer is already complete
    } finally {
      control.disarm();
    }
  }
}

function normalizeBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new DingTalkError('dingtalk_expert_config_invalid', 'The Xpert host URL is not a valid URL (expected e.g. https://xpert.example.com).', 400, { field: 'baseUrl' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DingTalkError('dingtalk_expert_config_invalid', 'The Xpert host URL must start with http:// or https://.', 400, { field: 'baseUrl' });
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '').replace(/\/api$/, '');
}
