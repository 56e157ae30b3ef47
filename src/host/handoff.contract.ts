/**
 * The host's handoff queue as a 3.17 Xpert server offers it (`agent/handoff/*` of plugin SDK 3.17).
 * SDK 3.7.2, the one we build against, has none of it, and a newer SDK must never be imported (the
 * host links its own at load time), so the shapes are declared here. Field names and metadata keys
 * are the host's: they are read by the host's queue and processor registry, not by us alone.
 */
import { applyDecorators, SetMetadata } from '@nestjs/common';

/** Ctx-resolve token of the host's queue service (`enqueue(message, {delayMs}) → {id}`). */
export const HANDOFF_QUEUE_SERVICE_TOKEN = 'XPERT_HANDOFF_QUEUE_SERVICE';

/** Metadata key the host's processor registry discovers providers by; its value is the provider key. */
export const HANDOFF_PROCESSOR_STRATEGY = 'HANDOFF_PROCESSOR_STRATEGY';
/** The SDK's generic strategy marker; a handoff processor carries `HANDOFF_PROCESSOR_STRATEGY` under it. */
export const STRATEGY_META_KEY = 'XPERT_STRATEGY_META_KEY';

/** The host's "run this expert and stream its events back" message. */
export const AGENT_CHAT_DISPATCH_MESSAGE_TYPE = 'agent.chat_dispatch.v1';
/** Our callback message type: the envelopes of a dispatched DingTalk turn come back under it. */
export const DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE = 'channel.dingtalk.chat_callback.v1';

export interface HandoffMessageHeaders {
  organizationId?: string;
  userId?: string;
  language?: string;
  threadId?: string;
  conversationId?: string;
  source?: string;
  integrationId?: string;
  requestedLane?: string;
  [key: string]: string | undefined;
}

export interface HandoffMessage<P extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  type: string;
  version: number;
  tenantId: string;
  sessionKey: string;
  businessKey: string;
  attempt: number;
  maxAttempts: number;
  enqueuedAt: number;
  traceId: string;
  parentMessageId?: string;
  payload: P;
  headers?: HandoffMessageHeaders;
}

/** Where the host sends a dispatched chat's events: handoff messages of `messageType`. */
export interface AgentChatHandoffCallbackTarget {
  transport?: 'handoff-message';
  messageType: string;
  headers?: Record<string, string>;
  /** Comes back untouched in every envelope. */
  context?: Record<string, unknown>;
}

/** The 3.8.4+ chat request (an action union); only the two actions we send are declared. */
export type AgentChatRequest =
  | { action: 'send'; conversationId?: string; message: { clientMessageId?: string; input: { input: string; files?: unknown[]; [key: string]: unknown } }; state?: Record<string, unknown> }
  | {
      action: 'resume';
      conversationId: string;
      target: { aiMessageId?: string; executionId?: string };
      decision: { type: 'confirm' | 'reject'; payload?: unknown };
      state?: Record<string, unknown>;
    };

export interface AgentChatDispatchPayload extends Record<string, unknown> {
  request: AgentChatRequest;
  options: {
    xpertId?: string;
    from?: string;
    fromEndUserId?: string;
    language?: string;
    [key: string]: unknown;
  };
  callback: AgentChatHandoffCallbackTarget;
  executionId?: string;
}

export interface AgentChatCallbackEnvelopePayload extends Record<string, unknown> {
  kind: 'stream' | 'complete' | 'error';
  /** Id of the dispatch message this envelope answers. */
  sourceMessageId: string;
  /** 1, 2, 3 … per dispatch, in the order the host produced them. */
  sequence: number;
  /** For `stream`: one chat event as the host's chat command emits it (a Nest `MessageEvent`). */
  event?: unknown;
  error?: string;
  errorCode?: string;
  context?: Record<string, unknown>;
}

export interface ProcessContext {
  runId: string;
  traceId: string;
  abortSignal: AbortSignal;
  heartbeat?: (reason?: string) => void;
  getAbortReason?: () => string | undefined;
  emit?: (event: unknown) => void;
}

export type ProcessResult = { status: 'ok'; outbound?: HandoffMessage[] } | { status: 'retry'; delayMs: number; reason?: string } | { status: 'dead'; reason: string };

export interface HandoffProcessor<P extends Record<string, unknown> = Record<string, unknown>> {
  process(message: HandoffMessage<P>, ctx: ProcessContext): Promise<ProcessResult>;
}

export interface HandoffProcessorPolicy {
  lane: 'main' | 'subagent' | 'cron' | 'nested';
  timeoutMs?: number;
  idleTimeoutMs?: number;
}

export interface HandoffProcessorMetadata {
  types: string[];
  policy: HandoffProcessorPolicy;
}

/** What the host's queue service offers a plugin (the part we use). */
export interface HandoffQueueService {
  enqueue(message: HandoffMessage, options?: { delayMs?: number }): Promise<{ id: string }>;
}

/**
 * Marks a provider as the processor of `provider` (the host looks processors up by message type,
 * so `provider` is the message type it handles). Same metadata as the host's own decorator.
 */
export function HandoffProcessorStrategy(provider: string, metadata: HandoffProcessorMetadata): ClassDecorator {
  if (!metadata?.types?.length) throw new Error('A handoff processor needs at least one message type.');
  return applyDecorators(SetMetadata(HANDOFF_PROCESSOR_STRATEGY, provider), SetMetadata(STRATEGY_META_KEY, HANDOFF_PROCESSOR_STRATEGY));
}

/** A usable queue service, or undefined (a 3.7 host, or no permission to enqueue). */
export function asHandoffQueue(value: unknown): HandoffQueueService | undefined {
  return typeof value === 'object' && value !== null && typeof (value as HandoffQueueService).enqueue === 'function' ? (value as HandoffQueueService) : undefined;
}
