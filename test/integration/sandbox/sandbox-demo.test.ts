import { startSandbox, type Sandbox } from '../../../sandbox/sandbox';
import type { SimMessage } from '../../../sandbox/simulator/types';
import { CaptureLogger } from '../../support/capture-logger';
import { waitFor } from '../../support/wait-for';

// The sandbox as a new user meets it: the Stream bot streams an AI card and speaks Chinese, the
// HTTP bot answers in one English markdown message, and the panel's state shows refusals and stops.

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, handoffQueue: false, logger: new CaptureLogger() });
});
afterAll(async () => {
  await sandbox?.close();
});

async function send(integrationId: string, text: string): Promise<void> {
  const response = await fetch(`${sandbox.url}/sandbox/api/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ integrationId, conversation: 'private', userId: 'sandbox.alice', text }),
  });
  expect(response.status).toBe(200);
}

const toAlice = (kind: SimMessage['kind']) => sandbox.simulator.messages().filter((m) => m.kind === kind && m.target.id === 'sandbox.alice');

it('the Stream bot answers with a streaming AI card in zh-Hans; the HTTP bot with one English markdown message', async () => {
  await send(sandbox.integrations.stream, 'think hard /hang');
  // The card is on screen while the expert is still answering (not finalized yet).
  const streaming = () => toAlice('card').find((card) => JSON.stringify(card.content).includes('Thinking') && !(card.content as { stream?: { finalized: boolean } }).stream?.finalized);
  await waitFor(() => streaming() !== undefined, 'the streaming card', 20000);
  await send(sandbox.integrations.stream, '停止');
  await waitFor(() => toAlice('card').some((card) => (card.content as { stream?: { finalized: boolean } }).stream?.finalized), 'the card to be finalized', 20000);
  // The Stream bot speaks zh-Hans: the stopped card and the End link in Chinese.
  expect(JSON.stringify(toAlice('card')[0].content)).toContain('已停止');
  expect(JSON.stringify(toAlice('card')[0].content)).toContain('结束会话');

  await send(sandbox.integrations.http, 'hello markdown');
  await waitFor(() => sandbox.simulator.messages().some((m) => m.kind !== 'card' && JSON.stringify(m.content).includes('You said:** hello markdown')), 'the markdown answer', 20000);
  const answer = sandbox.simulator.messages().filter((m) => m.kind !== 'card' && JSON.stringify(m.content).includes('hello markdown'));
  expect(answer).toHaveLength(1);
  expect(JSON.stringify(answer[0].content)).toContain('End conversation');

  const state = (await (await fetch(`${sandbox.url}/sandbox/api/state`)).json()) as Record<string, unknown>;
  expect(state).toMatchObject({ refusals: [], stoppedRuns: 1 });
});
