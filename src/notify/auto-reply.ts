import { logRef } from '../kernel/log-value';
import { t } from '../i18n';
import { isRecord, readRunContext } from './dingtalk-run-context';
import { describeFailure } from './notify-errors';
import { resolveRecipient } from './recipient.resolver';
import { markdownParts, titleFrom } from './rich-message';
import { deliveryFor, type NotifyToolkit } from './tools/tool-runtime';

/**
 * `autoReply`: a 3.7 host discards what a trigger-started run produces, so the answer reaches
 * DingTalk only if we post it. After the agent finished, its final answer goes to the conversation
 * the run came from — once: the outbox key is derived from the inbound event id, so a second
 * afterAgent (a retry, or a second agent with this middleware) finds the first post and stops.
 * The reply webhook is preferred (it is the conversation's own reply channel), the OpenAPI is the
 * fallback. Never throws: a failed reply must not fail the run.
 */

export type AutoReplyOutcome = 'sent' | 'duplicate' | 'no_context' | 'other_integration' | 'no_answer' | 'failed';

export async function postAutoReply(toolkit: NotifyToolkit, state: unknown, agentKey?: string): Promise<AutoReplyOutcome> {
  const runContext = readRunContext(state);
  if (!runContext) return 'no_context';
  if (toolkit.options.integrationId && toolkit.options.integrationId !== runContext.integrationId) return 'other_integration';
  const text = finalAnswerText(state, agentKey);
  if (!text) return 'no_answer';
  try {
    const { recipient } = resolveRecipient({ options: { ...toolkit.options, recipient_id: undefined }, runContext, state });
    const delivery = await deliveryFor(toolkit, runContext.integrationId);
    const parts = markdownParts(titleFrom(text, t(runContext.language, 'notify.autoReplyTitle')), text);
    const key = `notify:auto:${runContext.integrationId}:${runContext.eventId}`;
    const sent = await delivery.sendMessages(recipient, key, parts, { source: 'auto_reply', preferWebhook: true });
    return sent.every((s) => s.reused) ? 'duplicate' : 'sent';
  } catch (error) {
    const failure = describeFailure(error, 'post the answer to DingTalk');
    // A concurrent afterAgent of the same run is already posting: that is the one reply.
    if (failure.code === 'notify_send_in_progress') return 'duplicate';
    toolkit.deps.logger.warn(`DingTalk auto reply failed code=${failure.code} event=${logRef(runContext.eventId)}`);
    return 'failed';
  }
}

/**
 * Text of the agent's final answer: the newest AI message of this turn. If a human message comes
 * first (the turn produced no answer), there is nothing to post — an older answer is never resent.
 */
export function finalAnswerText(state: unknown, agentKey?: string): string | undefined {
  if (!isRecord(state)) return undefined;
  const channel = agentKey ? state[`${agentKey.toLowerCase()}_channel`] : undefined;
  const sources = [isRecord(channel) ? channel.messages : undefined, state.messages];
  for (const messages of sources) {
    if (!Array.isArray(messages) || messages.length === 0) continue;
    for (let i = messages.length - 1; i >= 0; i -= 1) {
      const type = messageType(messages[i]);
      if (type === 'human') return undefined;
      if (type === 'ai') {
        const text = messageText(messages[i]);
        return text && text.trim() ? text.trim() : undefined;
      }
    }
  }
  return undefined;
}

function messageType(message: unknown): string | undefined {
  if (!isRecord(message)) return undefined;
  const getType = (message as { _getType?: unknown; getType?: unknown })._getType ?? (message as { getType?: unknown }).getType;
  if (typeof getType === 'function') return normalizeType(String(getType.call(message)));
  if (message.lc === 1 && Array.isArray(message.id)) return normalizeType(String(message.id[message.id.length - 1]));
  if (typeof message.type === 'string') return normalizeType(message.type);
  if (typeof message.role === 'string') return normalizeType(message.role);
  return undefined;
}

function normalizeType(type: string): string {
  if (/^(ai|assistant|AIMessage(Chunk)?)$/i.test(type)) return 'ai';
  if (/^(human|user|HumanMessage(Chunk)?)$/i.test(type)) return 'human';
  return type.toLowerCase();
}

function messageText(message: unknown): string | undefined {
  if (!isRecord(message)) return undefined;
  const content = message.lc === 1 && isRecord(message.kwargs) ? message.kwargs.content : message.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === 'string' ? part : isRecord(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
      .join('');
  }
  return undefined;
}
