import { DingTalkError } from '../kernel/errors';
import type { DingTalkRunContext } from './dingtalk-run-context';
import type { NotifyOptions, RecipientType } from './notify-options';
import { renderTemplate } from './template';

/**
 * Who a notification goes to. Pure: everything it needs is passed in.
 *
 * Order:
 *  1. a recipient the model passed — only when the builder allowed it (`allowToolRecipients`);
 *  2. the trusted run context (`state.human.dingtalk`): reply where the run came from;
 *  3. the configured `recipient_type` / `recipient_id`, rendered as a template against the state.
 * The run context is skipped when the middleware is pinned to another integration: its ids belong
 * to the app it came from.
 */

export interface NotifyRecipient {
  integrationId: string;
  type: RecipientType;
  /**
   * user_id: one or more userIds; chat_id: one openConversationId; open_id: unionIds. Empty only
   * for a private chat with a sender who has no userId, reachable through `sessionWebhook` alone.
   */
  ids: string[];
  source: 'tool' | 'run_context' | 'config';
  /** Run context only. Callers still check host and expiry before using it (P19). */
  sessionWebhook?: string;
  sessionWebhookExpiresAt?: number;
  /** Run context only: the conversation the run came from. */
  conversationId?: string;
  senderStaffId?: string;
}

export interface ToolRecipientInput {
  recipient_type?: RecipientType;
  recipient_id?: string;
}

export interface ResolveRecipientInput {
  options: Pick<NotifyOptions, 'integrationId' | 'recipient_type' | 'recipient_id' | 'template' | 'allowToolRecipients'>;
  runContext?: DingTalkRunContext;
  /** The agent state at call time (for templates). */
  state: unknown;
  toolRecipient?: ToolRecipientInput;
}

export interface ResolvedRecipient {
  recipient: NotifyRecipient;
  /** Things the model should know (e.g. its recipient arguments were ignored). */
  notes: string[];
}

/** DingTalk's batch limit is 20 per call; the client batches, but a list this long is a mistake. */
const MAX_USER_IDS = 100;
const MAX_ID_LENGTH = 256;

export function resolveRecipient(input: ResolveRecipientInput): ResolvedRecipient {
  const { options, runContext } = input;
  const notes: string[] = [];
  const toolId = input.toolRecipient?.recipient_id?.trim();

  if (toolId) {
    if (options.allowToolRecipients) {
      const integrationId = options.integrationId ?? runContext?.integrationId;
      if (!integrationId) throw noIntegration();
      const type = input.toolRecipient?.recipient_type ?? options.recipient_type;
      return { recipient: { integrationId, type, ids: parseIds(type, toolId, 'recipient_id argument'), source: 'tool' }, notes };
    }
    notes.push('recipient_type/recipient_id were ignored: this agent may only send to its originating conversation or its configured recipient.');
  }

  if (runContext) {
    if (!options.integrationId || options.integrationId === runContext.integrationId) {
      return { recipient: fromRunContext(runContext), notes };
    }
    notes.push('This run came from a different DingTalk integration than the one configured, so the configured recipient is used.');
  }

  const template = options.recipient_id;
  if (template) {
    if (!options.integrationId) throw noIntegration();
    const rendered = renderTemplate(template, input.state, options.template).trim();
    if (!rendered) {
      throw new DingTalkError(
        'notify_recipient_missing',
        `The configured recipient "${template}" rendered to nothing: its template variables are not set in the agent state. Set them before this step, or change recipient_id in the DingTalk notify middleware.`,
        400,
      );
    }
    return {
      recipient: { integrationId: options.integrationId, type: options.recipient_type, ids: parseIds(options.recipient_type, rendered, 'recipient_id'), source: 'config' },
      notes,
    };
  }

  throw new DingTalkError(
    'notify_recipient_missing',
    'No recipient: this run did not come from DingTalk and the DingTalk notify middleware has no recipient configured. Ask the builder to set recipient_type and recipient_id on the middleware.',
    400,
  );
}

function fromRunContext(context: DingTalkRunContext): NotifyRecipient {
  const common = {
    integrationId: context.integrationId,
    source: 'run_context' as const,
    conversationId: context.conversationId,
    ...(context.senderStaffId ? { senderStaffId: context.senderStaffId } : {}),
    ...(context.sessionWebhook ? { sessionWebhook: context.sessionWebhook } : {}),
    ...(context.sessionWebhookExpiresAt !== undefined ? { sessionWebhookExpiresAt: context.sessionWebhookExpiresAt } : {}),
  };
  if (context.conversationType === 'group') return { ...common, type: 'chat_id', ids: [context.conversationId] };
  if (context.senderStaffId) return { ...common, type: 'user_id', ids: [context.senderStaffId] };
  if (context.sessionWebhook) return { ...common, type: 'user_id', ids: [] };
  throw new DingTalkError(
    'notify_recipient_missing',
    'This private chat came from a DingTalk user without a userId (an external user, or the robot is not published yet) and its reply webhook is gone, so there is no way to reach them.',
    400,
  );
}

function parseIds(type: RecipientType, value: string, field: string): string[] {
  const ids = type === 'chat_id' ? [value.trim()] : [...new Set(value.split(/[,;\s]+/).map((id) => id.trim()).filter(Boolean))];
  if (ids.length === 0) throw new DingTalkError('notify_recipient_missing', `The ${field} is empty.`, 400);
  if (ids.length > MAX_USER_IDS) throw new DingTalkError('notify_recipient_invalid', `The ${field} lists ${ids.length} people; at most ${MAX_USER_IDS} are allowed per message.`, 400);
  const bad = ids.find((id) => !isPlausibleId(id));
  if (bad !== undefined) {
    throw new DingTalkError('notify_recipient_invalid', `The ${field} "${bad.slice(0, 64)}" is not a valid DingTalk ${type === 'chat_id' ? 'openConversationId' : type === 'open_id' ? 'unionId' : 'userId'}.`, 400);
  }
  return ids;
}

/** DingTalk ids are short printable tokens; whitespace or control characters mean a broken value. */
function isPlausibleId(id: string): boolean {
  if (id.length === 0 || id.length > MAX_ID_LENGTH) return false;
  for (const char of id) if (char.charCodeAt(0) <= 0x20 || char.charCodeAt(0) === 0x7f) return false;
  return true;
}

function noIntegration(): DingTalkError {
  return new DingTalkError(
    'notify_integration_missing',
    'No DingTalk integration is selected on the DingTalk notify middleware, and this run did not come from DingTalk. Ask the builder to pick the integration.',
    400,
  );
}
