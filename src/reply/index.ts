/** The reply path: an expert's answer back into the DingTalk conversation (markdown or AI card). */
export * from './reply.port';
export { ReplyService } from './reply.service';
export type { ReplyServiceOptions, ReplyLogger, CardCallbackType } from './reply-options';
export { MessageSender, type SendRequest, type SentMessage, type RouteState } from './message.sender';
export { outTrackIdFor, cardSpaceFor } from './card-target';
export { segmentKey } from './answer-stream';
