import { startSandbox, type Sandbox } from '../../../sandbox/sandbox';
import type { SimMessage } from '../../../sandbox/simulator/types';
import { CaptureLogger } from '../../support/capture-logger';
import { waitFor } from '../../support/wait-for';

// The sandbox on a host that offers its handoff queue: the demo bindings carry no API key, and the
// demo expert answers in both demo bots through the host's dispatch, never through the threads API.

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, handoffQueue: true, logger: new CaptureLogger() });
});
afterAll(async () => {
  await sandbox?.close();
});

function textOf(message: SimMessage): string {
  const content = message.content as Record<string, any>;
  return content.markdown?.text ?? content.text ?? content.cardParamMap?.content ?? '';
}

async function send(integrationId: string, text: string): Promise<void> {
  const response = await fetch(`${sandbox.url}/sandbox/api/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ integrationId, conversation: 'private', userId: 'sandbox.alice', text }),
  });
  expect(response.status).toBe(200);
}

it('answers both demo bots through host dispatch, with no API key and no threads API call', async () => {
  await send(sandbox.integrations.http, 'hello from the http bot');
  await send(sandbox.integrations.stream, 'hello from the stream bot');
  const answered = (fragment: string) => sandbox.simulator.messages().some((message) => textOf(message).includes(fragment));
  await waitFor(() => answered('You said:** hello from the http bot') && answered('You said:** hello from the stream bot'), 'both demo answers', 20000);
  await sandbox.host.handoffQueue!.idle();

  expect(sandbox.xpert.runs()).toEqual([]);
  const dispatches = sandbox.host.handoffQueue!.dispatched();
  expect(dispatches).toHaveLength(2);
  expect(dispatches.every((dispatch) => dispatch.options.fromEndUserId === 'sandbox.alice')).toBe(true);
  for (const id of [sandbox.integrations.http, sandbox.integrations.stream]) {
    const status = await fetch(`${sandbox.url}/api/dingtalk/status/${id}`, { headers: { authorization: sandbox.host.authorization } });
    expect(await status.json()).toMatchObject({ runner: 'host-dispatch' });
  }
});
