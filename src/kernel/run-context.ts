/** Where an answer goes: the conversation a message came from (all from the trusted inbound event). */
export interface ReplyTarget {
  integrationId: string;
  conversationType: 'private' | 'group';
  /** openConversationId for groups; the 1:1 conversation id for private chats. */
  conversationId: string;
  /** userId of the person who wrote (1:1 OpenAPI sends and @-mentions in groups). */
  senderStaffId?: string;
  senderNick?: string;
  /** Only used while valid AND on the configured DingTalk host (P19). */
  sessionWebhook?: string;
  sessionWebhookExpiresAt?: number;
  language: 'zh-Hans' | 'en';
}

/**
 * Where a run came from, handed to the expert in `state.human.dingtalk` when it runs through the
 * host's trigger callback (3.7 hosts discard the run's output). The DingTalk notify middleware reads
 * exactly this object to post the answer into the conversation (its `autoReply`), so the shape is a
 * contract: add fields, never rename or remove them. Built only from a verified inbound event.
 * Its fields are the reply target's (where the answer goes) plus the event being answered.
 */
export interface DingTalkRunContext extends ReplyTarget {
  /** Id of the inbound message being answered: the dedupe key of everything the run sends. */
  eventId: string;
}

/** The key under `state.human` that carries the run context. */
export const DINGTALK_RUN_CONTEXT_KEY = 'dingtalk';

/** The run context of a turn answered in `target`; undefined members are left out. */
export function toRunContext(target: ReplyTarget, eventId: string): DingTalkRunContext {
  return {
    integrationId: target.integrationId,
    conversationType: target.conversationType,
    conversationId: target.conversationId,
    ...(target.senderStaffId ? { senderStaffId: target.senderStaffId } : {}),
    ...(target.senderNick ? { senderNick: target.senderNick } : {}),
    ...(target.sessionWebhook ? { sessionWebhook: target.sessionWebhook } : {}),
    ...(target.sessionWebhookExpiresAt !== undefined ? { sessionWebhookExpiresAt: target.sessionWebhookExpiresAt } : {}),
    eventId,
    language: target.language,
  };
}
