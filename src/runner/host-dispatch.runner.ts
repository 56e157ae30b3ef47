/**
 * Runs an expert through the host's own chat dispatch (a 3.17 host's handoff queue), with no API
 * key: the turn becomes an `agent.chat_dispatch.v1` message, the host runs the expert in a real
 * Xpert conversation, and streams its events back as `channel.dingtalk.chat_callback.v1`
 * envelopes to our handoff processor, which delivers the answer (the dispatch folder).
 *
 * So `run` only hands the turn over: it resolves as soon as the host took the message (delivery
 * `dispatched`). Rejecting means the host did not take it, and a retry is safe.
 */
import { DingTalkError } from '../kernel/errors';
import {
  AGENT_CHAT_DISPATCH_MESSAGE_TYPE,
  DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE,
  type AgentChatDispatchPayload,
  type AgentChatRequest,
  type HandoffMessage,
  type HandoffQueueService,
} from '../host/handoff.contract';
import type { TriggerCallback } from '../trigger/trigger-callbacks';
import type { ExpertEventHandler, ExpertRunInput, ExpertRunResult, ExpertRunner } from './expert-runner.port';
import { buildHitlResume } from './interrupt-prompt';

/** What comes back in every envelope's `context`: our ids, enough to find the run again. */
export interface DispatchCallbackContext extends Record<string, unknown> {
  runId: string;
  sessionKey: string;
  integrationId: string;
  /** The turn's idempotency key (the inbound event id); equal to the run id. */
  jobKey: string;
}

export interface HostDispatchRunnerOptions {
  tenantId: string;
  organizationId?: string | null;
  /** How the message reaches the host: the expert's trigger callback (`{handoffMessage}`), else the queue service. */
  via: { callback: TriggerCallback } | { queue: HandoffQueueService };
  /** Host deliveries per envelope (our processor may ask for a redelivery). Default 5. */
  maxAttempts?: number;
  now?: () => number;
}

const DEFAULT_MAX_ATTEMPTS = 5;

/** The dispatch message's id: stable per run, so a re-sent dispatch is recognisably the same one. */
export function dispatchMessageId(runId: string): string {
  return `dingtalk:${runId}`;
}

export class HostDispatchRunner implements ExpertRunner {
  readonly name = 'host-dispatch';

  constructor(private readonly options: HostDispatchRunnerOptions) {}

  async run(input: ExpertRunInput, onEvent: ExpertEventHandler): Promise<ExpertRunResult> {
    if (input.signal?.aborted) throw new DingTalkError('dingtalk_expert_aborted', 'The expert run was cancelled before it started.', 499);
    const message = this.message(input);
    try {
      if ('callback' in this.options.via) await this.options.via.callback({ handoffMessage: message });
      else await this.options.via.queue.enqueue(message);
    } catch (error) {
      throw new DingTalkError('dingtalk_dispatch_enqueue_failed', 'The Xpert host did not take the chat dispatch; it is retried.', 503, {
        cause: error instanceof Error ? error.name : typeof error,
      });
    }
    await onEvent({ type: 'end', status: 'idle' });
    return { text: '', status: 'idle' };
  }

  /** The `agent.chat_dispatch.v1` message of one turn. Exposed for tests. */
  message(input: ExpertRunInput): HandoffMessage<AgentChatDispatchPayload> {
    const runId = input.runId;
    if (!runId || !input.integrationId) {
      throw new DingTalkError('dingtalk_invalid_argument', 'A dispatched run needs its run id and integration id.', 400);
    }
    const context: DispatchCallbackContext = { runId, sessionKey: input.sessionKey, integrationId: input.integrationId, jobKey: runId };
    const organizationId = this.options.organizationId ?? undefined;
    return {
      id: dispatchMessageId(runId),
      type: AGENT_CHAT_DISPATCH_MESSAGE_TYPE,
      version: 1,
      tenantId: this.options.tenantId,
      // The host serialises work per session key: one DingTalk session, one lane of turns.
      sessionKey: `dingtalk:${input.sessionKey}`,
      businessKey: runId,
      attempt: 1,
      maxAttempts: this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      enqueuedAt: (this.options.now ?? Date.now)(),
      traceId: runId,
      headers: {
        ...(organizationId ? { organizationId } : {}),
        ...(input.language ? { language: input.language } : {}),
        integrationId: input.integrationId,
        ...(input.xpertConversationId ? { conversationId: input.xpertConversationId } : {}),
      },
      payload: {
        request: chatRequest(input),
        options: {
          xpertId: input.xpertId,
          from: 'dingtalk',
          ...(input.endUserId ? { fromEndUserId: input.endUserId } : {}),
          ...(input.language ? { language: input.language } : {}),
          // As the host's own trigger dispatch does: the run acts as the expert's principal.
          runtimePrincipal: { type: 'assistant', xpertId: input.xpertId },
        },
        callback: { transport: 'handoff-message', messageType: DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE, context },
      },
    };
  }
}

function chatRequest(input: ExpertRunInput): AgentChatRequest {
  if (input.resume) {
    if (!input.xpertConversationId) {
      throw new DingTalkError('dingtalk_dispatch_resume_unknown', 'The confirmation cannot be sent: the Xpert conversation of this session is not known.', 409);
    }
    const { decision, payload, message, operation } = input.resume;
    const resumeValue = payload !== undefined ? payload : buildHitlResume(decision, message, operation);
    return { action: 'resume', conversationId: input.xpertConversationId, target: {}, decision: { type: decision, payload: resumeValue } };
  }
  const files = input.files?.length ? { files: input.files.map((file) => ({ ...file })) } : {};
  return {
    action: 'send',
    ...(input.xpertConversationId ? { conversationId: input.xpertConversationId } : {}),
    message: { clientMessageId: input.runId, input: { input: input.text, ...files } },
  };
}
