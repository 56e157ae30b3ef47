/** DingTalk notify agent middleware: strategy, tools and the pieces they are built from. */
export { DingTalkNotifyMiddleware } from './dingtalk-notify.middleware';
export { createNotifyMiddleware, notifyStateSchema } from './notify-middleware.factory';
export { notifyMiddlewareMeta, NOTIFY_MIDDLEWARE_NAME } from './notify.meta';
export { parseNotifyOptions, notifyOptionsSchema, RECIPIENT_TYPES, type NotifyOptions, type RecipientType } from './notify-options';
export { readRunContext, RUN_CONTEXT_KEY, type DingTalkRunContext } from './dingtalk-run-context';
export { resolveRecipient, type NotifyRecipient, type ResolveRecipientInput, type ResolvedRecipient } from './recipient.resolver';
export { renderTemplate, type TemplateOptions } from './template';
export { cardCallbackRouteKey } from './notify-delivery';
export { CARD_ACTION, notifySessionKey } from './rich-message';
export { postAutoReply, finalAnswerText } from './auto-reply';
export type { NotifyDeps, NotifyIntegration } from './notify-deps';
export { SEND_TEXT_TOOL } from './tools/send-text.tool';
export { SEND_RICH_TOOL } from './tools/send-rich.tool';
export { UPDATE_MESSAGE_TOOL } from './tools/update-message.tool';
export { RECALL_MESSAGE_TOOL } from './tools/recall-message.tool';
export { LIST_USERS_TOOL } from './tools/list-users.tool';
export { LAST_RESULT_KEY, LAST_MESSAGE_IDS_KEY } from './tools/tool-runtime';
