import { DingTalkError } from '../../../src/kernel/errors';
import { AGENT_CHAT_DISPATCH_MESSAGE_TYPE, DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE, type HandoffMessage } from '../../../src/host/handoff.contract';
import type { ExpertRunInput } from '../../../src/runner/expert-runner.port';
import { HostDispatchRunner } from '../../../src/runner/host-dispatch.runner';
import { RunnerSelector } from '../../../src/runner/runner.selector';
import { TriggerCallbacks } from '../../../src/trigger/trigger-callbacks';

const input: ExpertRunInput = {
  xpertId: 'xpert-1',
  sessionKey: 'int-1:cid-1:staff-1',
  threadId: 'thread-1',
  text: 'hello',
  language: 'zh-Hans',
  endUserId: 'staff-1',
  runId: 'evt-1',
  integrationId: 'int-1',
};
const context = { integrationId: 'int-1', conversationType: 'private' as const, conversationId: 'cid-1', eventId: 'evt-1', language: 'en' as const };
const scope = { tenantId: 'tenant-1', organizationId: 'org-1' };

describe('HostDispatchRunner', () => {
  it('builds one agent.chat_dispatch.v1 per run: our callback type and ids, the sender, the session conversation', () => {
    const runner = new HostDispatchRunner({ tenantId: 'tenant-1', organizationId: 'org-1', via: { queue: { enqueue: jest.fn() } }, now: () => 42 });
    const first = runner.message(input);
    expect(first).toMatchObject({
      id: 'dingtalk:evt-1',
      type: AGENT_CHAT_DISPATCH_MESSAGE_TYPE,
      tenantId: 'tenant-1',
      businessKey: 'evt-1',
      attempt: 1,
      enqueuedAt: 42,
      headers: { organizationId: 'org-1', language: 'zh-Hans', integrationId: 'int-1' },
      payload: {
        request: { action: 'send', message: { input: { input: 'hello' } } },
        options: { xpertId: 'xpert-1', from: 'dingtalk', fromEndUserId: 'staff-1', runtimePrincipal: { type: 'assistant', xpertId: 'xpert-1' } },
        callback: { transport: 'handoff-message', messageType: DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE, context: { runId: 'evt-1', sessionKey: input.sessionKey, integrationId: 'int-1', jobKey: 'evt-1' } },
      },
    });
    expect(first.payload.request).not.toHaveProperty('conversationId');
    expect(runner.message({ ...input, xpertConversationId: 'conv-9' }).payload.request).toMatchObject({ action: 'send', conversationId: 'conv-9' });
  });

  it('sends a decision as a resume of the session conversation, and refuses one without it', () => {
    const runner = new HostDispatchRunner({ tenantId: 't', via: { queue: { enqueue: jest.fn() } } });
    const resume = runner.message({ ...input, xpertConversationId: 'conv-9', resume: { decision: 'reject', message: 'not now' } });
    expect(resume.payload.request).toEqual({ action: 'resume', conversationId: 'conv-9', target: {}, decision: { type: 'reject', payload: expect.anything() } });
    expect(() => runner.message({ ...input, resume: { decision: 'confirm' } })).toThrow(DingTalkError);
  });

  it('hands the message to the trigger callback as {handoffMessage}, or to the queue; a refusal is a retryable coded error', async () => {
    const callback = jest.fn();
    await expect(new HostDispatchRunner({ tenantId: 't', via: { callback } }).run(input, () => undefined)).resolves.toEqual({ text: '', status: 'idle' });
    expect((callback.mock.calls[0][0] as { handoffMessage: HandoffMessage }).handoffMessage.id).toBe('dingtalk:evt-1');

    const enqueue = jest.fn().mockRejectedValue(new Error('redis down'));
    const failing = new HostDispatchRunner({ tenantId: 't', via: { queue: { enqueue } } });
    await expect(failing.run(input, () => undefined)).rejects.toMatchObject({ code: 'dingtalk_dispatch_enqueue_failed', httpStatus: 503 });
  });
});

describe('RunnerSelector with a host that offers its handoff queue', () => {
  it('API key first; then host dispatch (via the callback when held, else the queue); host callback only without a queue', () => {
    const callbacks = new TriggerCallbacks();
    const queue = { enqueue: jest.fn() };
    let offered: typeof queue | undefined = queue;
    const selector = new RunnerSelector({ callbacks, defaultApiBaseUrl: 'http://127.0.0.1:3000', handoffQueue: () => offered });

    expect(selector.select('xpert-1', { xpertApiKey: 'sk-x-key' }, context, scope)).toMatchObject({ delivery: 'stream', runner: { name: 'xpert-api' } });
    expect(selector.select('xpert-1', {}, context, scope)).toMatchObject({ delivery: 'dispatched', runner: { name: 'host-dispatch' } });
    expect(selector.kind('xpert-1', {})).toBe('host-dispatch');
    callbacks.register('xpert-1', jest.fn());
    expect(selector.select('xpert-1', {}, context, scope)).toMatchObject({ delivery: 'dispatched' });

    offered = undefined;
    expect(selector.select('xpert-1', {}, context, scope)).toMatchObject({ delivery: 'detached', runner: { name: 'host-callback' } });
    expect(selector.kind('xpert-1', {})).toBe('host-callback');
    expect(selector.kind('xpert-1', { xpertApiKey: 'k' })).toBe('threads-api');
  });

  it('a queue lookup that throws (3.7 host, no permission) means "not this runner"', () => {
    const callbacks = new TriggerCallbacks();
    callbacks.register('xpert-1', jest.fn());
    const selector = new RunnerSelector({ callbacks, defaultApiBaseUrl: 'http://127.0.0.1:3000', handoffQueue: () => { throw new Error('ctx.resolve is not available'); } });
    expect(selector.select('xpert-1', {}, context, scope)).toMatchObject({ delivery: 'detached' });
    expect(selector.kind('xpert-2', {})).toBeNull();
  });
});
