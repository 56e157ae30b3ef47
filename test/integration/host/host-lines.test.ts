import { randomUUID } from 'node:crypto';
import { resolveHostProfile } from '../../../sandbox/host/host-profile';
import { DEMO_API_KEY, DEMO_HTTP, DEMO_XPERT_ID } from '../../../sandbox/demo';
import { startSandbox, type Sandbox } from '../../../sandbox/sandbox';
import { DingTalkUserDriver } from '../../../sandbox/simulator/user-driver';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { t } from '../../../src/i18n';
import { TriggerBindingRepository } from '../../../src/persistence';
import { createServerDatabase, databaseUrl } from '../../support/database';
import { waitFor } from '../../support/wait-for';

/**
 * The end-to-end path on the host line named by XPERT_HOST_PROFILE (3.7 when unset; CI runs this
 * file on both): a user's message answered by the demo expert, the admin's Test, and publishing
 * the expert again without its trigger. Everything goes through the sandbox as `npm start` runs it.
 */

const profile = resolveHostProfile(undefined, '3.7');
let sandbox: Sandbox;
let server: Awaited<ReturnType<typeof createServerDatabase>> | undefined;
let driver: DingTalkUserDriver;

beforeAll(async () => {
  server = databaseUrl ? await createServerDatabase(databaseUrl) : undefined;
  sandbox = await startSandbox({ port: 0, profile, ...(server ? { databaseUrl: server.url } : {}), pluginConfig: { reconcileIntervalMs: 0, worker: { pollIntervalMs: 20 } } });
  driver = new DingTalkUserDriver({ simulator: sandbox.simulator, app: DEMO_HTTP.options });
});

afterAll(async () => {
  await sandbox?.close();
  await server?.drop();
});

const webhookUrl = () => `${sandbox.url}/api/dingtalk/webhook/${DEMO_HTTP.id}`;
const botSaid = (text: string) => sandbox.simulator.messages().some((m) => JSON.stringify(m.content).includes(text));

async function say(text: string): Promise<void> {
  const message = driver.robotMessage({ conversationType: 'private', text, senderStaffId: 'user001', conversationId: `cid-${randomUUID()}`, msgId: `msg-${randomUUID()}` });
  expect((await driver.postRobotMessage(webhookUrl(), message)).status).toBe(200);
}

async function state(): Promise<{ host: { profile: string; adminToken: string } }> {
  return (await (await fetch(`${sandbox.url}/sandbox/api/state`)).json()) as { host: { profile: string; adminToken: string } };
}

it(`runs the ${profile} host line and tells scripts so, with a token for the authenticated routes`, async () => {
  const { host } = await state();
  expect(host.profile).toBe(profile);
  const status = await fetch(`${sandbox.url}/api/dingtalk/status/${DEMO_HTTP.id}`, { headers: { authorization: `Bearer ${host.adminToken}` } });
  expect(status.status).toBe(200);
  // A 3.17 host offers its own chat dispatch, so the demo bots need no API key there.
  expect(await status.json()).toMatchObject({ mode: 'http', runner: profile === '3.17' ? 'host-dispatch' : 'threads-api' });
});

it('answers a private message through the demo expert', async () => {
  const text = `question ${randomUUID()}`;
  await say(text);
  await waitFor(() => botSaid(`You said:** ${text}`), 'the expert answer', 20000);
});

it("Test returns the callback URL and the admin's warnings through this line's route, without a secret", async () => {
  const { host } = await state();
  const route = profile === '3.17' ? '/api/integration/test' : '/api/dingtalk/test';
  const response = await fetch(`${sandbox.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${host.adminToken}` },
    body: JSON.stringify({ id: DEMO_HTTP.id, name: DEMO_HTTP.name, provider: 'dingtalk', options: DEMO_HTTP.options }),
  });
  expect(response.status).toBe(profile === '3.17' ? 201 : 200);
  const text = await response.text();
  const body = JSON.parse(text);
  expect(body.webhookUrl).toBe(`${sandbox.url}/api/dingtalk/webhook/${DEMO_HTTP.id}`);
  expect(body.mode).toBe('http');
  expect(body.warnings.some((w: string) => w.startsWith('Card template'))).toBe(true);
  for (const secret of [DEMO_HTTP.options.clientSecret, DEMO_HTTP.options.callbackToken, DEMO_HTTP.options.callbackAesKey]) expect(text).not.toContain(secret);
});

it(profile === '3.17' ? 'a republish without the trigger stops it, and the next message gets the "no expert bound" notice' : 'a 3.7 host never stops a trigger: the binding stays and the expert keeps answering', async () => {
  const trigger = { from: 'dingtalk', config: { enabled: true, integrationId: DEMO_HTTP.id, xpertApiKey: DEMO_API_KEY, xpertApiBaseUrl: sandbox.url } };
  const binding = async () => new TriggerBindingRepository(await sandbox.host.get(PluginDatabase).open()).findByIntegration(DEMO_HTTP.id);
  await sandbox.host.publishXpert(DEMO_XPERT_ID, [trigger]);
  await waitFor(async () => (await binding())?.xpertId === DEMO_XPERT_ID, 'the binding');
  await sandbox.host.publishXpert(DEMO_XPERT_ID, []);
  const text = `after republish ${randomUUID()}`;
  await say(text);
  if (profile === '3.17') {
    expect(await binding()).toBeNull();
    await waitFor(() => botSaid(t('en', 'reply.notConnected')), 'the not-connected notice', 20000);
    expect(botSaid(`You said:** ${text}`)).toBe(false);
  } else {
    expect((await binding())?.xpertId).toBe(DEMO_XPERT_ID);
    await waitFor(() => botSaid(`You said:** ${text}`), 'the expert answer', 20000);
  }
});
