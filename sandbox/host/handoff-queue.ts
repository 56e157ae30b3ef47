/**
 * The handoff queue of a 3.17 Xpert host, as far as a plugin sees it (host fact sheet §4–5):
 * `enqueue(message, {delayMs}) → {id}`; processors found by their `HANDOFF_PROCESSOR_STRATEGY`
 * metadata, keyed by message type; a `retry` answer or a throw redelivers the message with
 * `attempt + 1` until `maxAttempts`, then it is dead-lettered; `outbound` messages are enqueued.
 *
 * `agent.chat_dispatch.v1` is executed here, as the host's own dispatch processor does: the demo
 * expert runs the request in a kept conversation (so a later turn naming its conversation id
 * continues it) and every chat event goes back as a callback envelope (`kind: 'stream'`, then
 * `complete` or `error`, numbered from 1) of the callback's message type, enqueued in order.
 *
 * Messages run one at a time in enqueue order by default (the envelopes of a run then reach the
 * processor in order); `concurrency` lets several run at once, as on a host with many workers.
 */
import { randomUUID } from 'node:crypto';
import type { DiscoveryService } from '@nestjs/core';
import type {
  AgentChatCallbackEnvelopePayload,
  AgentChatDispatchPayload,
  HandoffMessage,
  HandoffProcessor,
  HandoffQueueService,
  ProcessResult,
} from '../../src/host/handoff.contract';
import { playDemoTurn, type DemoRequest, type DemoThread } from '../fake-xpert/demo-expert';
import { EchoDemoModel, type DemoModel } from '../fake-xpert/demo-model';

export interface HarnessHandoffQueueOptions {
  /** Answer source of the demo expert (the deterministic echo by default). */
  model?: DemoModel;
  /** Messages processed at the same time. Default 1 (strict enqueue order). */
  concurrency?: number;
  /** Known xpert ids; a dispatch for any other one fails like an unknown xpert. */
  experts?: string[];
  /** Conversations an earlier run kept (`exportConversations()`): the demo expert remembers them. */
  conversations?: readonly DemoThread[];
}

export interface HandoffDelivery {
  id: string;
  type: string;
  attempt: number;
  outcome: ProcessResult['status'] | 'threw';
  reason?: string;
}

/** One `agent.chat_dispatch.v1` the harness ran (what the plugin asked for). */
export interface RecordedDispatch {
  id: string;
  xpertId?: string;
  request: AgentChatDispatchPayload['request'];
  options: AgentChatDispatchPayload['options'];
  callback: AgentChatDispatchPayload['callback'];
  /** The conversation the run happened in. */
  conversationId?: string;
  headers?: HandoffMessage['headers'];
}

interface Pending {
  message: HandoffMessage;
  dueAt: number;
}

// The host's own names (plugin SDK 3.17 `agent/handoff/*`), spelled here rather than taken from the
// plugin, so a plugin that got them wrong would fail against this queue.
/** Ctx-resolve token under which a 3.17 host offers this queue. */
export const HOST_HANDOFF_QUEUE_TOKEN = 'XPERT_HANDOFF_QUEUE_SERVICE';
const HANDOFF_PROCESSOR_STRATEGY = 'HANDOFF_PROCESSOR_STRATEGY';
const AGENT_CHAT_DISPATCH_MESSAGE_TYPE = 'agent.chat_dispatch.v1';
const DEFAULT_MAX_ATTEMPTS = 3;

export class HarnessHandoffQueue implements HandoffQueueService {
  private readonly model: DemoModel;
  private readonly concurrency: number;
  private readonly queue: Pending[] = [];
  private readonly processors = new Map<string, HandoffProcessor>();
  private readonly conversations = new Map<string, DemoThread>();
  private readonly deliveries: HandoffDelivery[] = [];
  private readonly deadLetters: { message: HandoffMessage; reason: string }[] = [];
  private readonly dispatches: RecordedDispatch[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private running = 0;
  private runCounter = 0;
  private closed = false;
  private paused = false;

  constructor(private readonly options: HarnessHandoffQueueOptions = {}) {
    this.model = options.model ?? new EchoDemoModel();
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    for (const thread of options.conversations ?? []) this.conversations.set(thread.conversationId, structuredClone(thread));
  }

  /** Every conversation as stored state, for `options.conversations` of the next run. */
  exportConversations(): DemoThread[] {
    return [...this.conversations.values()].map((thread) => structuredClone(thread));
  }

  /** Finds every provider carrying handoff-processor metadata (what the host's registry does). */
  discover(discovery: Pick<DiscoveryService, 'getProviders'>): string[] {
    for (const wrapper of discovery.getProviders()) {
      const instance = wrapper.instance as HandoffProcessor | undefined;
      const type = instance?.constructor ? Reflect.getMetadata(HANDOFF_PROCESSOR_STRATEGY, instance.constructor) : undefined;
      if (typeof type === 'string' && typeof instance?.process === 'function') this.processors.set(type, instance);
    }
    return [...this.processors.keys()];
  }

  async enqueue(message: HandoffMessage, options: { delayMs?: number } = {}): Promise<{ id: string }> {
    if (this.closed) throw new Error('handoff queue is closed');
    if (!message?.type || !message.tenantId || !message.sessionKey || !message.traceId || !message.businessKey) {
      throw new Error('Invalid handoff message: type, tenantId, sessionKey, traceId and businessKey are required');
    }
    const normalized: HandoffMessage = {
      ...message,
      id: message.id || randomUUID(),
      version: message.version ?? 1,
      attempt: Math.max(1, message.attempt ?? 1),
      maxAttempts: Math.max(1, message.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
      enqueuedAt: message.enqueuedAt ?? Date.now(),
    };
    const delayMs = Math.max(0, options.delayMs ?? 0);
    if (delayMs > 0) {
      // A delayed redelivery joins the queue when it is due (as a delayed queue job would).
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.push(normalized);
      }, delayMs);
      this.timers.add(timer);
    } else {
      this.push(normalized);
    }
    return { id: normalized.id };
  }

  /** What a 3.17 trigger callback does with a plugin's payload: `{handoffMessage}` is enqueued as is. */
  triggerCallback(xpertId: string): (payload: unknown) => Promise<unknown> {
    return async (payload) => {
      const handoff = (payload as { handoffMessage?: HandoffMessage } | undefined)?.handoffMessage;
      if (handoff) return this.enqueue(handoff);
      // A `{state}` payload becomes a dispatch whose output nobody receives (a NOOP callback).
      const state = (payload as { state?: { human?: { input?: string } } } | undefined)?.state;
      return this.enqueue({
        id: randomUUID(),
        type: AGENT_CHAT_DISPATCH_MESSAGE_TYPE,
        version: 1,
        tenantId: 'harness',
        sessionKey: `trigger:${xpertId}`,
        businessKey: xpertId,
        attempt: 1,
        maxAttempts: 1,
        enqueuedAt: Date.now(),
        traceId: randomUUID(),
        payload: {
          request: { action: 'send', message: { input: { input: state?.human?.input ?? '' } }, state: state ?? {} },
          options: { xpertId, from: 'job', runtimePrincipal: { type: 'assistant', xpertId } },
          callback: { messageType: 'agent.chat_callback_noop.v1' },
        },
      });
    };
  }

  /** Holds deliveries back (messages still queue up) until `resume`; lets a test act mid-run. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Messages waiting for delivery. */
  get queued(): number {
    return this.queue.length;
  }

  /** Resolves once nothing is queued, running, or waiting for a delayed redelivery. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  history(): HandoffDelivery[] {
    return this.deliveries.map((entry) => ({ ...entry }));
  }

  dead(): { message: HandoffMessage; reason: string }[] {
    return [...this.deadLetters];
  }

  dispatched(): RecordedDispatch[] {
    return this.dispatches.map((entry) => ({ ...entry }));
  }

  conversationIds(): string[] {
    return [...this.conversations.keys()];
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.settleIdle();
  }

  private push(message: HandoffMessage): void {
    if (this.closed) return;
    this.queue.push({ message, dueAt: Date.now() });
    this.pump();
  }

  private pump(): void {
    while (!this.paused && this.running < this.concurrency && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.running += 1;
      void this.deliver(next.message).finally(() => {
        this.running -= 1;
        this.pump();
        this.settleIdle();
      });
    }
  }

  private async deliver(message: HandoffMessage): Promise<void> {
    let result: ProcessResult;
    try {
      result = message.type === AGENT_CHAT_DISPATCH_MESSAGE_TYPE ? await this.runDispatch(message as HandoffMessage<AgentChatDispatchPayload>) : await this.process(message);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.deliveries.push({ id: message.id, type: message.type, attempt: message.attempt, outcome: 'threw', reason });
      if (reason.startsWith('No handoff processor found')) return this.bury(message, reason);
      return this.redeliver(message, 0, reason);
    }
    this.deliveries.push({ id: message.id, type: message.type, attempt: message.attempt, outcome: result.status, ...('reason' in result && result.reason ? { reason: result.reason } : {}) });
    if (result.status === 'ok') {
      for (const outbound of result.outbound ?? []) await this.enqueue(outbound);
    } else if (result.status === 'retry') {
      await this.redeliver(message, result.delayMs, result.reason);
    } else {
      this.bury(message, result.reason);
    }
  }

  private process(message: HandoffMessage): Promise<ProcessResult> {
    const processor = this.processors.get(message.type);
    if (!processor) throw new Error(`No handoff processor found for type ${message.type}`);
    return processor.process(message, { runId: message.id, traceId: message.traceId, abortSignal: new AbortController().signal, heartbeat: () => undefined });
  }

  private async redeliver(message: HandoffMessage, delayMs: number, reason?: string): Promise<void> {
    if (message.attempt + 1 > message.maxAttempts) return this.bury(message, reason ?? `Retry exhausted after ${message.maxAttempts} attempts`);
    // A host going down keeps nothing of an in-memory queue: what was in flight is not retried here.
    if (this.closed) return;
    await this.enqueue({ ...message, attempt: message.attempt + 1 }, { delayMs });
  }

  private bury(message: HandoffMessage, reason: string): void {
    this.deadLetters.push({ message, reason });
  }

  /** The host's chat dispatch: run the demo expert, stream every event back as an envelope. */
  private async runDispatch(message: HandoffMessage<AgentChatDispatchPayload>): Promise<ProcessResult> {
    const { request, options, callback } = message.payload ?? ({} as AgentChatDispatchPayload);
    if (!request) return { status: 'dead', reason: 'Missing request in agent chat dispatch payload' };
    if (!options?.xpertId) return { status: 'dead', reason: 'Missing xpertId in agent chat dispatch payload' };
    if (!callback?.messageType) return { status: 'dead', reason: 'Missing callback.messageType in agent chat dispatch payload' };
    let sequence = 1;
    const send = (payload: Pick<AgentChatCallbackEnvelopePayload, 'kind' | 'event' | 'error'>) =>
      this.enqueue(this.envelope(message, { ...payload, sourceMessageId: message.id, sequence: sequence++, ...(callback.context ? { context: callback.context } : {}) }));

    const recorded: RecordedDispatch = { id: message.id, xpertId: options.xpertId, request, options, callback, ...(message.headers ? { headers: message.headers } : {}) };
    this.dispatches.push(recorded);
    let thread: DemoThread;
    let demo: DemoRequest;
    try {
      if (this.options.experts && !this.options.experts.includes(options.xpertId)) throw new Error(`Xpert ${options.xpertId} not found`);
      ({ thread, demo } = this.prepare(request));
    } catch (error) {
      // Before streaming, the host's processor reports the failure as one error envelope.
      await send({ kind: 'error', error: error instanceof Error ? error.message : String(error) });
      return { status: 'dead', reason: error instanceof Error ? error.message : String(error) };
    }
    recorded.conversationId = thread.conversationId;
    const abort = new AbortController();
    for await (const frame of playDemoTurn(thread, demo, { model: this.model, signal: abort.signal, closed: new Promise(() => undefined), runIndex: ++this.runCounter })) {
      if (frame.kind === 'data') await send({ kind: 'stream', event: { data: frame.payload } });
      else if (frame.kind === 'error') {
        await send({ kind: 'error', error: frame.message });
        return { status: 'ok' };
      }
      // Keep-alives are added by the HTTP layer, not the chat command: nothing to forward.
    }
    await send({ kind: 'complete' });
    return { status: 'ok' };
  }

  private prepare(request: AgentChatDispatchPayload['request']): { thread: DemoThread; demo: DemoRequest } {
    const known = request.conversationId ? this.conversations.get(request.conversationId) : undefined;
    if (request.conversationId && !known) throw new Error(`Conversation ${request.conversationId} not found`);
    if (request.action === 'resume') {
      if (!known?.pending) throw new Error('No pending interrupt to resume');
      const payload = request.decision.payload as { decisions?: { type?: string; message?: string }[] } | undefined;
      const first = payload?.decisions?.[0];
      const reject = request.decision.type === 'reject' || first?.type === 'reject';
      return { thread: known, demo: reject ? { kind: 'resume', decision: 'reject', ...(first?.message ? { message: first.message } : {}) } : { kind: 'resume', decision: 'confirm' } };
    }
    const thread = known ?? this.newConversation();
    return { thread, demo: { kind: 'send', text: typeof request.message?.input?.input === 'string' ? request.message.input.input : '' } };
  }

  private newConversation(): DemoThread {
    const id = randomUUID();
    const thread: DemoThread = { threadId: id, conversationId: id, title: '', createdAt: new Date().toISOString(), turns: 0, history: [] };
    this.conversations.set(id, thread);
    return thread;
  }

  /** As the host builds a callback message: id `<source>:callback:<n>`, the source's keys and headers. */
  private envelope(source: HandoffMessage<AgentChatDispatchPayload>, payload: AgentChatCallbackEnvelopePayload): HandoffMessage<AgentChatCallbackEnvelopePayload> {
    return {
      id: `${source.id}:callback:${payload.sequence}`,
      type: source.payload.callback.messageType,
      version: 1,
      tenantId: source.tenantId,
      sessionKey: source.sessionKey,
      businessKey: source.businessKey,
      attempt: 1,
      maxAttempts: source.maxAttempts ?? 1,
      enqueuedAt: Date.now(),
      traceId: source.traceId,
      parentMessageId: source.id,
      payload,
      headers: { ...(source.headers ?? {}), ...(source.payload.callback.headers ?? {}) },
    };
  }

  private isIdle(): boolean {
    return this.closed || (this.queue.length === 0 && this.running === 0 && this.timers.size === 0);
  }

  private settleIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
