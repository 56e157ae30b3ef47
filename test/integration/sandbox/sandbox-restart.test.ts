import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../../sandbox/sandbox';
import { CaptureLogger } from '../../support/capture-logger';
import { waitFor } from '../../support/wait-for';

// A restart on the same data folder: the page shows the earlier chats again and the demo expert
// remembers the thread the plugin continues.

const dataDir = mkdtempSync(join(tmpdir(), 'dingtalk-sandbox-restart-'));
let sandbox: Sandbox | undefined;

afterAll(async () => {
  await sandbox?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const boot = () => startSandbox({ port: 0, handoffQueue: false, dataDir, logger: new CaptureLogger() });

async function send(text: string): Promise<void> {
  const response = await fetch(`${sandbox!.url}/sandbox/api/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ integrationId: sandbox!.integrations.http, conversation: 'private', userId: 'sandbox.alice', text }),
  });
  expect(response.status).toBe(200);
}

const botSaid = (fragment: string) => sandbox!.simulator.messages().some((m) => JSON.stringify(m.content).includes(fragment));

it('keeps the page history and the expert memory across a restart', async () => {
  sandbox = await boot();
  await send('remember the apples');
  await waitFor(() => botSaid('You said:** remember the apples'), 'the first answer', 20000);
  await sandbox.close();
  sandbox = undefined;

  sandbox = await boot();
  const page = (await (await fetch(`${sandbox.url}/sandbox/api/messages`)).json()) as { user: Array<{ text: string }>; bot: unknown[] };
  expect(page.user.map((m) => m.text)).toEqual(['remember the apples']);
  expect(JSON.stringify(page.bot)).toContain('You said:** remember the apples');

  await send('what did I say?');
  await waitFor(() => botSaid('Last time you said: remember the apples'), 'the answer that remembers the previous turn', 20000);
  expect(botSaid('This is turn 2 of our conversation.')).toBe(true);
});
