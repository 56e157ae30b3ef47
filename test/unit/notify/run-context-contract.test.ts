import { DINGTALK_RUN_CONTEXT_KEY, toRunContext, type DingTalkRunContext as EngineRunContext } from '../../../src/kernel/run-context';
import { readRunContext, RUN_CONTEXT_KEY, type DingTalkRunContext } from '../../../src/notify/dingtalk-run-context';

// The engine writes `state.human.dingtalk`, the notify middleware reads it: both sides must agree
// on the key and the shape. The assignments below fail to compile (tsc) when the types drift.
const _engineToNotify: DingTalkRunContext = {} as EngineRunContext;
const _notifyToEngine: EngineRunContext = {} as DingTalkRunContext;

describe('run context contract with the engine', () => {
  it('uses the same key, and what the engine builds is what the middleware reads', () => {
    expect(DINGTALK_RUN_CONTEXT_KEY).toBe(RUN_CONTEXT_KEY);
    const built = toRunContext(
      {
        integrationId: 'int-1',
        conversationType: 'group',
        conversationId: 'cidG==',
        senderStaffId: 'staff-a',
        senderNick: 'A',
        sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=s',
        sessionWebhookExpiresAt: 1_700_000_000_000,
        language: 'en',
      },
      'msg-1',
    );
    expect(readRunContext({ human: { [DINGTALK_RUN_CONTEXT_KEY]: built } })).toEqual(built);
  });
});
