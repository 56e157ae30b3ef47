/**
 * The conversation engine: routing, sessions, the summary window, and the job handlers that turn
 * queued inbound events into expert runs (DESIGN §3).
 */
export { createJobHandlers } from './job-handlers.factory';
export { ConversationEngine, CONVERSATION_PROVIDERS, conversationJobHandlersProvider } from './conversation.engine';
export { ConversationCore, replyTargetOf, resolveIntegration, type ConversationDeps } from './conversation.deps';
export { DINGTALK_RUN_CONTEXT_KEY, toRunContext, type DingTalkRunContext } from '../kernel/run-context';
export { Router, type Route, type RouteSource } from './router';
export { Sessions, type OpenSessionInput, type OpenedSession } from './sessions';
export { Aggregator } from './aggregator';
export { TurnDispatcher, type TurnRequest, type TurnOutcome } from './turn.dispatcher';
export { ResumeDispatcher, type ResumeRequest, type ResumeOutcome } from './resume.dispatcher';
export { turnActions, INTERRUPT_PARAM, END_LINK_TTL_MS, CONFIRM_LINK_TTL_MS } from './action-links';
export { buildTurnInput, type TurnInput, type AttachmentDownloader } from './turn-input';
export { linkQueryOf } from './card-action.handler';
export * from './job-payloads';
