import { randomUUID } from 'node:crypto';
import { WorkflowTriggerRegistry } from '@xpert-ai/plugin-sdk';
import type { SimMessage } from '../../../sandbox/simulator/types';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE } from '../../../src/host/handoff.contract';
import { t } from '../../../src/i18n';
import { HTTP_APP, startPluginHost, type PluginHost } from '../../support/plugin-host';
import { waitFor } from '../../support/wait-for';

// A host that offers its handoff queue (3.17) and no Xpert API key anywhere: DingTalk turns go to
// the host as `agent.chat_dispatch.v1`, the harness runs the demo expert and streams envelopes back
// to the plugin's processor, which answers through the usual reply path.

const XPERT = '0d15ba7c-0000-4000-8000-0000000000a1';
const CARD_XPERT = '0d15ba7c-0000-4000-8000-0000000000a2';
const TEMPLATE = 'tpl-dispatch.schema';
let stack: PluginHost;
let cardIntegration: string;

beforeAll(async () => {
  stack = await startPluginHost({ handoffQueue: true, withStream: false, pluginConfig: { publicBaseUrl: 'https://xpert.example.com' } });
  // The HTTP integration: a trigger published without a key, so its callback carries the dispatch.
  const trigger = stack.host.get(WorkflowTriggerRegistry).get('dingtalk', 'global');
  await trigger.publish({ xpertId: XPERT, config: { enabled: true, integrationId: stack.http.id } } as never, stack.host.handoffQueue!.triggerCallback(XPERT));
  // A second integration with a card template and only a fallback expert: no callback, the queue service.
  cardIntegration = await stack.host.addIntegration({ name: 'DingTalk cards', options: { ...HTTP_APP, mode: 'http', cardTemplateId: TEMPLATE, xpertId: CARD_XPERT } });
});

afterAll(async () => {
  await stack?.close();
});

const queue = () => stack.host.handoffQueue!;
const db = () => stack.host.get(PluginDatabase).db;

async function say(integrationId: string, sender: string, text: string): Promise<void> {
  const body = stack.http.driver.robotMessage({ conversationType: 'private', text, senderStaffId: sender, msgId: `msg-${randomUUID()}` });
  const response = await stack.http.driver.postRobotMessage(`${stack.host.url}/api/dingtalk/webhook/${integrationId}`, body);
  expect(response.status).toBe(200);
}

function textOf(message: SimMessage): string {
  const content = message.content as Record<string, any>;
  if (message.kind === 'card') return content.cardParamMap?.content ?? '';
  if (message.kind === 'webhook') return content.markdown?.text ?? content.actionCard?.text ?? '';
  return content.text ?? content.markdown?.text ?? '';
}

const answersContaining = (fragment: string) => stack.simulator.messages().filter((message) => textOf(message).includes(fragment));

it('answers a private message through host dispatch, streamed as markdown, and continues the same Xpert conversation on the next turn', async () => {
  await say(stack.http.id, 'user-dispatch-1', 'hello over dispatch');
  await waitFor(() => answersContaining('This is turn 1').length > 0, 'the first answer');
  await queue().idle();

  const [first] = queue().dispatched();
  expect(first.request).toMatchObject({ action: 'send', message: { input: { input: 'hello over dispatch' } } });
  expect(first.request.conversationId).toBeUndefined();
  expect(first.options).toMatchObject({ xpertId: XPERT, from: 'dingtalk', fromEndUserId: 'user-dispatch-1' });
  expect(first.callback).toMatchObject({ transport: 'handoff-message', messageType: DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE, context: { integrationId: stack.http.id } });
  expect(first.conversationId).toBeDefined();

  await say(stack.http.id, 'user-dispatch-1', 'and a second question');
  await waitFor(() => answersContaining('This is turn 2').length > 0, 'the second answer');
  await queue().idle();

  const [, second] = queue().dispatched();
  expect(second.request).toMatchObject({ action: 'send', conversationId: first.conversationId });
  expect(second.conversationId).toBe(first.conversationId);
  // One answer per turn, nothing dead-lettered, and the session keeps the host conversation id.
  expect(answersContaining('You said:** hello over dispatch')).toHaveLength(1);
  expect(answersContaining('You said:** and a second question')).toHaveLength(1);
  expect(queue().dead()).toEqual([]);
  const [binding] = await db().query<{ xpert_conversation_id: string }>(`SELECT xpert_conversation_id FROM plugin_dingtalk_conversation_binding WHERE session_key LIKE $1`, [`${stack.http.id}:%`]);
  expect(binding.xpert_conversation_id).toBe(first.conversationId);
  const runs = await db().query<{ status: string }>(`SELECT status FROM plugin_dingtalk_dispatch_run WHERE integration_id = $1`, [stack.http.id]);
  expect(runs.map((run) => run.status)).toEqual(['completed', 'completed']);

  const status = await fetch(`${stack.host.url}/api/dingtalk/status/${stack.http.id}`, { headers: { authorization: stack.host.authorization } });
  expect(await status.json()).toMatchObject({ runner: 'host-dispatch' });
});

it('streams the dispatched answer into one AI card when a card template is set (queue service, no trigger callback)', async () => {
  await say(cardIntegration, 'user-dispatch-2', 'show me a card /tool');
  await waitFor(() => answersContaining('You said:** show me a card').length > 0 && queue().dispatched().some((d) => d.xpertId === CARD_XPERT), 'the card answer');
  await queue().idle();

  const cards = stack.simulator.messages().filter((message) => message.kind === 'card' && textOf(message).includes('show me a card'));
  expect(cards).toHaveLength(1);
  const [card] = cards;
  expect(card.msgKey).toBe(TEMPLATE);
  expect((card.content as { stream: { finalized: boolean; error: boolean } }).stream).toMatchObject({ finalized: true, error: false });
  expect(textOf(card)).toContain('This is turn 1');
  expect(queue().dispatched().find((d) => d.xpertId === CARD_XPERT)?.options).toMatchObject({ fromEndUserId: 'user-dispatch-2' });
});

it('keeps a quick follow-up behind the answer still streaming, so it continues the same conversation', async () => {
  const sender = 'user-dispatch-3';
  const before = queue().dispatched().length;
  queue().pause();
  await say(stack.http.id, sender, 'first quick question');
  // The host has the first dispatch, but nothing of its answer came back yet.
  await waitFor(async () => (await db().query(`SELECT 1 FROM plugin_dingtalk_dispatch_run WHERE status = 'dispatched'`)).length === 1, 'the first dispatch');
  await say(stack.http.id, sender, 'second quick question');
  // The first turn's job is done; the second one is running, i.e. waiting for the first answer.
  const jobs = async () => (await db().query<{ status: string }>(`SELECT status FROM plugin_dingtalk_handoff WHERE session_key LIKE $1 ORDER BY seq`, [`%:${sender}`])).map((job) => job.status);
  await waitFor(async () => (await jobs()).join() === 'done,running', 'the second turn waiting');
  expect(queue().queued).toBe(1); // only the first dispatch: the second turn has not been sent
  queue().resume();

  await waitFor(() => answersContaining('You said:** second quick question').length > 0, 'the second answer', 20000);
  await queue().idle();
  const [first, second] = queue().dispatched().slice(before);
  expect(second.request).toMatchObject({ action: 'send', conversationId: first.conversationId });
  expect(answersContaining('You said:** first quick question')).toHaveLength(1);
  expect(answersContaining('You said:** second quick question')).toHaveLength(1);
  const positions = ['You said:** first quick question', 'You said:** second quick question'].map((fragment) => stack.simulator.messages().findIndex((message) => textOf(message).includes(fragment)));
  expect(positions[0]).toBeLessThan(positions[1]);
});

it('maps an interrupt to Confirm / Reject, and a Confirm resumes the same Xpert conversation', async () => {
  const before = queue().dispatched().length;
  await say(stack.http.id, 'user-dispatch-4', '/confirm the quarterly report');
  await waitFor(() => answersContaining('send_report').length > 0, 'the confirmation prompt');
  await queue().idle();
  const [prompt] = answersContaining('send_report');
  const buttons = (prompt.content as { actionCard: { btns: { title: string; actionURL: string }[] } }).actionCard.btns;
  // The integration sets no language: the default, Chinese.
  expect(buttons.map((button) => button.title)).toEqual([t('zh-Hans', 'reply.confirm'), t('zh-Hans', 'reply.reject')]);
  const confirm = new URL(buttons[0].actionURL);

  // DingTalk opens the link in a browser: the GET only shows a page, and its button POSTs.
  const link = `${stack.host.url}${confirm.pathname}${confirm.search}`;
  expect((await fetch(link)).status).toBe(200);
  expect(queue().dispatched().length).toBe(before + 1);
  expect((await fetch(link, { method: 'POST' })).status).toBe(200);
  await waitFor(() => answersContaining('Confirmed: the quarterly report').length > 0, 'the resumed answer', 20000);
  await queue().idle();
  const [asked, resumed] = queue().dispatched().slice(before);
  expect(resumed.request).toMatchObject({ action: 'resume', conversationId: asked.conversationId, decision: { type: 'confirm' } });
  expect(answersContaining('Confirmed: the quarterly report')).toHaveLength(1);
});
