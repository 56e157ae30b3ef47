import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import type { AgentMiddleware } from '@xpert-ai/plugin-sdk';
import { INTEGRATION_ID, useNotifyFixture, type NotifyFixture } from './notify-fixture';

let f: NotifyFixture;
useNotifyFixture((fixture) => (f = fixture));

async function afterAgent(middleware: AgentMiddleware, state: Record<string, unknown>): Promise<void> {
  const hook = middleware.afterAgent;
  const fn = typeof hook === 'function' ? hook : hook?.hook;
  if (!fn) throw new Error('no afterAgent hook');
  await fn(state as never, {} as never);
}

function groupSession(ttlMs?: number) {
  return f.sim.sessions.create({ clientId: 'dingnotifyapp', robotCode: 'dingnotifyapp', conversationId: 'cidGroupOne==', conversationType: '2', senderStaffId: 'staff-alice', ...(ttlMs ? { ttlMs } : {}) });
}

const answer = (text: string) => [new HumanMessage('How is the build?'), new AIMessage({ content: '', tool_calls: [{ id: 'c1', name: 'x', args: {} }] }), new ToolMessage({ content: 'ok', tool_call_id: 'c1' }), new AIMessage(text)];

describe('autoReply', () => {
  it('is only wired when enabled', () => {
    expect(f.middleware({ integrationId: INTEGRATION_ID }).afterAgent).toBeUndefined();
    expect(f.middleware({ integrationId: INTEGRATION_ID, autoReply: true }).afterAgent).toBeDefined();
  });

  it('posts the final answer to the originating conversation through its webhook, exactly once even if afterAgent runs twice', async () => {
    const session = groupSession();
    const context = f.runContext({ sessionWebhook: session.url, sessionWebhookExpiresAt: session.expiresAt });
    const state = { human: { input: 'How is the build?', dingtalk: context }, messages: answer('The build is **green**.') };
    const middleware = f.middleware({ integrationId: INTEGRATION_ID, autoReply: true });
    await afterAgent(middleware, state);
    await afterAgent(middleware, state);
    // A second middleware instance (another agent, or a re-created run) and a concurrent pair.
    const other = f.middleware({ autoReply: true });
    await Promise.all([afterAgent(other, state), afterAgent(other, state)]);

    const posted = f.sim.messages();
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ kind: 'webhook', target: { type: 'group', id: 'cidGroupOne==' }, content: { msgtype: 'markdown', markdown: { title: 'The build is green.', text: 'The build is **green**.' } } });
    expect(f.sim.calls({ path: '/v1.0/robot/groupMessages/send' })).toHaveLength(0);
    expect(f.warnings).toEqual([]);
  });

  it('uses the OpenAPI when the webhook has expired (or is not on the DingTalk host)', async () => {
    const expired = groupSession(1);
    const middleware = f.middleware({ autoReply: true });
    await afterAgent(middleware, { human: { dingtalk: f.runContext({ sessionWebhook: expired.url, sessionWebhookExpiresAt: expired.expiresAt }) }, messages: answer('first') });
    await afterAgent(middleware, { human: { dingtalk: f.runContext({ sessionWebhook: 'https://evil.example.com/robot/sendBySession?session=x' }) }, messages: answer('second') });
    const posted = f.sim.messages();
    expect(posted.map((m) => [m.kind, m.target.id, (m.content as { text: string }).text])).toEqual([
      ['robot', 'cidGroupOne==', 'first'],
      ['robot', 'cidGroupOne==', 'second'],
    ]);
  });

  it('falls back to the OpenAPI in the same outbox row when DingTalk refuses the webhook post', async () => {
    const session = groupSession(5_000);
    const middleware = f.middleware({ autoReply: true });
    const state = { human: { dingtalk: f.runContext({ sessionWebhook: session.url, sessionWebhookExpiresAt: Date.now() + 3_600_000 }) }, messages: answer('late answer') };
    f.sim.advanceTime(10_000); // DingTalk already considers the session gone
    try {
      await afterAgent(middleware, state);
      await afterAgent(middleware, state);
    } finally {
      f.sim.advanceTime(-10_000);
    }
    expect(f.sim.messages()).toMatchObject([{ kind: 'robot', target: { type: 'group', id: 'cidGroupOne==' } }]);
    const rows = await f.db.db.query<{ status: string }>('SELECT status FROM plugin_dingtalk_outbox');
    expect(rows.map((r) => r.status)).toEqual(['sent']);
  });

  it('replies to a private chat by userId and reads the agent’s own channel', async () => {
    const middleware = f.middleware({ autoReply: true }, 'Agent_1');
    const state = {
      human: { dingtalk: f.runContext({ conversationType: 'private', conversationId: 'cidPrivate==' }) },
      messages: [new HumanMessage('hi')],
      agent_1_channel: { messages: [new HumanMessage('hi'), new AIMessage('Hello Alice')] },
    };
    await afterAgent(middleware, state);
    expect(f.sim.messages()).toMatchObject([{ kind: 'robot', target: { type: 'user', id: 'staff-alice' }, msgKey: 'sampleMarkdown' }]);
  });

  it('posts nothing without a DingTalk run context, without an answer of this turn, or for another integration', async () => {
    const middleware = f.middleware({ integrationId: INTEGRATION_ID, autoReply: true });
    await afterAgent(middleware, { human: { input: 'hi' }, messages: answer('from the chat UI') });
    await afterAgent(middleware, { human: { dingtalk: f.runContext() }, messages: [new AIMessage('old answer'), new HumanMessage('new question')] });
    await afterAgent(f.middleware({ integrationId: 'int-other', autoReply: true }), { human: { dingtalk: f.runContext() }, messages: answer('x') });
    expect(f.sim.calls()).toHaveLength(0);
  });

  it('a failure is logged by code and never thrown into the run', async () => {
    f.sim.faults.set({ serverError: { path: '/v1.0/robot/groupMessages/send', times: 10 } });
    await expect(afterAgent(f.middleware({ autoReply: true }), { human: { dingtalk: f.runContext() }, messages: answer('secret answer text') })).resolves.toBeUndefined();
    expect(f.warnings.join('\n')).toMatch(/auto reply failed code=dingtalk_api_unavailable/);
    expect(f.warnings.join('\n')).not.toMatch(/secret answer text/);
  });
});
