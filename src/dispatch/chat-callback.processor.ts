import { Injectable } from '@nestjs/common';
import { ConversationEngine } from '../conversation/conversation.engine';
import {
  DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE,
  HandoffProcessorStrategy,
  type HandoffMessage,
  type HandoffProcessor,
  type ProcessContext,
  type ProcessResult,
} from '../host/handoff.contract';
import { DispatchReply } from './dispatch-reply';

/**
 * Receives the envelopes of DingTalk turns the host dispatched (a 3.17 host discovers it by its
 * handoff-processor metadata; on a 3.7 host it is an inert provider).
 */
@Injectable()
@HandoffProcessorStrategy(DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE, { types: [DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE], policy: { lane: 'main' } })
export class DingTalkChatCallbackProcessor implements HandoffProcessor {
  private readonly reply: DispatchReply;

  constructor(engine: ConversationEngine) {
    this.reply = new DispatchReply(engine.deps);
  }

  process(message: HandoffMessage, ctx: ProcessContext): Promise<ProcessResult> {
    ctx.heartbeat?.('dingtalk_chat_callback');
    return this.reply.process(message);
  }
}
