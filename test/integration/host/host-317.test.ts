import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost } from '../../../sandbox/host/harness';
import { pluginLevel } from '../../../sandbox/host/host-profile';
import { HANDOFF_QUEUE_GATE } from '../../../sandbox/host/host-services';
import { HANDOFF_QUEUE_SERVICE_TOKEN, INTEGRATION_PERMISSION_SERVICE_TOKEN, type PluginContext317 } from '../../../src/host/host-317.types';
import { t } from '../../../src/i18n';
import { StreamReceiver } from '../../../src/intake/stream.receiver';
import { TriggerBindingRepository } from '../../../src/persistence';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { DINGTALK_PLUGIN_CONTEXT } from '../../../src/kernel/tokens';
import { waitFor } from '../../support/wait-for';
import { HTTP_APP, STREAM_APP, startPluginHost, type PluginHost } from '../../support/plugin-host';

/**
 * The plugin on the 3.17 host line: the Test checklist through the host's own route, validation on
 * every save, onUpdate/onDelete, the permission-gated context, diff-based republish with stop().
 */

const enqueued: unknown[] = [];
let stack: PluginHost;

beforeAll(async () => {
  stack = await startPluginHost({ profile: '3.17', pluginConfig: { worker: { pollIntervalMs: 20 } } });
  await stack.simulator.gateway.waitForConnection(STREAM_APP.clientId);
  stack.host.services.provide(HANDOFF_QUEUE_SERVICE_TOKEN, { enqueue: async (m: unknown) => (enqueued.push(m), { id: 'q1' }), enqueueAndWait: async () => ({ status: 'ok' }) }, HANDOFF_QUEUE_GATE);
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  stack.simulator.faults.clear();
  stack.simulator.apps.setScopes(HTTP_APP.clientId, undefined);
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.host.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: stack.host.authorization },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : undefined };
}

const httpForm = (options: Record<string, unknown> = {}) => ({ id: stack.http.id, name: 'DingTalk HTTP', provider: 'dingtalk', options: { ...stack.http.app, mode: 'http', ...options } });
const storedOptions = async (id: string) => (await stack.host.hostDataSource.query('SELECT options FROM integration WHERE id = $1', [id]))[0]?.options;
const secrets = [HTTP_APP.clientSecret, HTTP_APP.callbackToken, HTTP_APP.callbackAesKey, STREAM_APP.clientSecret];

describe('Test button: POST /api/integration/test', () => {
  it('returns the callback URL and a warning per thing to fix, and never a secret', async () => {
    const { status, text, body } = await call('POST', '/api/integration/test', httpForm());
    expect(status).toBe(201);
    expect(body.webhookUrl).toMatch(new RegExp(`/api/dingtalk/webhook/${stack.http.id}$`));
    expect(body.mode).toBe('http');
    expect(Array.isArray(body.warnings)).toBe(true);
    // No public base URL and no card template in this setup: both are named.
    expect(body.warnings.join('\n')).toMatch(/Public base URL/);
    expect(body.warnings.join('\n')).toMatch(/Card template/);
    expect(body).not.toHaveProperty('options');
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('fails naming the credentials when DingTalk rejects the secret', async () => {
    const { status, text, body } = await call('POST', '/api/integration/test', httpForm({ clientSecret: 'wrong-secret-value' }));
    expect(status).toBe(500);
    expect(body.code).toBe('dingtalk_credentials_invalid');
    expect(body.message).toMatch(/Credentials/);
    expect(body.message).toMatch(/Client Secret/);
    expect(text).not.toContain('wrong-secret-value');
  });

  it('names each missing permission scope, with DingTalk 88/60011 for the old API family', async () => {
    stack.simulator.apps.setScopes(HTTP_APP.clientId, ['Card.Instance.Write', 'Card.Streaming.Write']);
    const { body } = await call('POST', '/api/integration/test', httpForm({ cardTemplateId: 'tpl.demo' }));
    const warnings: string[] = body.warnings;
    expect(warnings.find((w) => w.includes('qyapi_robot_sendmsg'))).toMatch(/Forbidden\.AccessDenied/);
    expect(warnings.find((w) => w.includes('qyapi_get_department_list'))).toMatch(/88\/60011/);
    expect(warnings.some((w) => w.includes('Card.Instance.Write'))).toBe(false);
    // HTTP mode: the plugin registered its own card callback route with DingTalk, so no warning.
    expect(warnings.some((w) => w.startsWith('Card callback route'))).toBe(false);
    expect(body.cardCallback).toMatchObject({ routeKey: expect.stringMatching(/^xpert_dingtalk_/) });
  });

  it("names a robot code that is not this app's robot", async () => {
    const { body } = await call('POST', '/api/integration/test', httpForm({ robotCode: STREAM_APP.robotCode }));
    expect(body.warnings.find((w: string) => w.startsWith('Robot code'))).toMatch(/Robot capability/);
  });

  it('reports the Stream connection of the settings under test, not the stored ones', async () => {
    const stored = { id: stack.stream.id, provider: 'dingtalk', options: { ...STREAM_APP, mode: 'stream' } };
    const same = await call('POST', '/api/integration/test', stored);
    expect(same.body.probe).toMatchObject({ connected: true, state: 'connected' });
    stack.simulator.apps.register({ clientId: 'dingthirdapp', clientSecret: 'third-app-secret-0123456789' });
    const other = await call('POST', '/api/integration/test', { ...stored, options: { clientId: 'dingthirdapp', clientSecret: 'third-app-secret-0123456789', mode: 'stream' } });
    expect(other.body.probe).toMatchObject({ connected: false, state: 'pending-save' });
  });
});

describe('saving an integration', () => {
  it('refuses a 42-character AES key, naming the field, and leaves the record as it was', async () => {
    const before = await storedOptions(stack.http.id);
    const { status, body } = await call('PUT', `/api/integration/${stack.http.id}`, { options: { ...before, callbackAesKey: HTTP_APP.callbackAesKey.slice(1) } });
    expect(status).toBe(400);
    expect(body.message).toContain('callbackAesKey');
    expect(await storedOptions(stack.http.id)).toEqual(before);
  });

  it('refuses HTTP mode without the signing token, naming it', async () => {
    const { status, body } = await call('POST', '/api/integration', { name: 'No token', provider: 'dingtalk', options: { ...HTTP_APP, mode: 'http', callbackToken: '' } });
    expect(status).toBe(400);
    expect(body.message).toContain('callbackToken');
  });

  it('saves while DingTalk is unreachable, and Test then says the credentials could not be checked', async () => {
    stack.simulator.faults.set({ serverError: { path: '/v1.0/oauth2/accessToken', times: 1000, status: 503 } });
    const before = await storedOptions(stack.http.id);
    const saved = await call('PUT', `/api/integration/${stack.http.id}`, { options: { ...before, preferredLanguage: 'en' } });
    expect(saved.status).toBe(202);
    expect((await storedOptions(stack.http.id)).preferredLanguage).toBe('en');
    // The saved secrets are still there: the checklist patches nothing into the record.
    expect((await storedOptions(stack.http.id)).clientSecret).toBe(HTTP_APP.clientSecret);
    const tested = await call('POST', '/api/integration/test', httpForm());
    expect(tested.status).toBe(201);
    expect(tested.body.warnings.find((w: string) => w.startsWith('Credentials'))).toMatch(/could not check/);
    await call('PUT', `/api/integration/${stack.http.id}`, { options: before });
  });

  it('reconnects Stream with a changed secret: the status route shows a new connection', async () => {
    const status = async () => (await call('GET', `/api/dingtalk/status/${stack.stream.id}`)).body;
    const first = await status();
    expect(first).toMatchObject({ state: 'connected', connectionId: expect.any(String) });
    const secret = 'stream-app-secret-rotated-01';
    stack.simulator.apps.register({ clientId: STREAM_APP.clientId, clientSecret: secret });
    const saved = await call('PUT', `/api/integration/${stack.stream.id}`, { options: { ...STREAM_APP, clientSecret: secret, mode: 'stream' } });
    expect(saved.status).toBe(202);
    await waitFor(async () => (await status()).state === 'connected', 'the new connection');
    expect((await status()).connectionId).not.toBe(first.connectionId);
  });

  it('a created Stream integration connects without waiting for the periodic sync (the host calls no hook on create)', async () => {
    // The harness runs with the periodic sync off, so only the create itself can bring the connection up.
    const clientId = 'dingcreatedapp';
    stack.simulator.apps.register({ clientId, clientSecret: STREAM_APP.clientSecret });
    const created = await call('POST', '/api/integration', { name: 'New stream bot', provider: 'dingtalk', options: { clientId, clientSecret: STREAM_APP.clientSecret, mode: 'stream' } });
    expect(created.status).toBeLessThan(300);
    await stack.simulator.gateway.waitForConnection(clientId);
    const id = created.body.id as string;
    await waitFor(async () => (await call('GET', `/api/dingtalk/status/${id}`)).body?.state === 'connected', 'the new connection in the status route');
    await call('DELETE', `/api/integration/${id}`);
  });

  it('a delete closes the Stream connection, and a deleted HTTP integration no longer accepts webhooks', async () => {
    const receiver = stack.host.get(StreamReceiver);
    const clientId = 'dingdeletedapp';
    stack.simulator.apps.register({ clientId, clientSecret: STREAM_APP.clientSecret });
    const streamId = await stack.host.addIntegration({ options: { clientId, clientSecret: STREAM_APP.clientSecret, mode: 'stream' } });
    await receiver.sync();
    await stack.simulator.gateway.waitForConnection(clientId);
    const removed = await call('DELETE', `/api/integration/${streamId}`);
    expect(removed.status).toBe(202);
    expect(receiver.status(streamId)).toBeUndefined();
    await waitFor(() => stack.simulator.gateway.connections(clientId).every((c) => !c.open), 'the gateway to see the socket close');

    const httpId = await stack.host.addIntegration({ options: { ...HTTP_APP, mode: 'http' } });
    const message = () => stack.http.driver.robotMessage({ conversationType: 'private', text: 'hi', senderStaffId: 'user001', msgId: `msg-${randomUUID()}` });
    expect((await stack.http.driver.postRobotMessage(`${stack.host.url}/api/dingtalk/webhook/${httpId}`, message())).status).toBe(200);
    await call('DELETE', `/api/integration/${httpId}`);
    const refused = await stack.http.driver.postRobotMessage(`${stack.host.url}/api/dingtalk/webhook/${httpId}`, message());
    expect(refused.status).toBe(404);
    expect((refused.body as { code?: string }).code).toBe('dingtalk_integration_not_found');
  });
});

describe('the plugin context', () => {
  const ctx = () => stack.host.get<PluginContext317>(DINGTALK_PLUGIN_CONTEXT);

  it('has the 3.17 shape and no ctx.app', () => {
    expect(Object.keys(ctx()).sort()).toEqual(['config', 'logger', 'module', 'organizationId', 'resolve', 'scopeKey', 'tenantId']);
  });

  it('resolves the integration service the plugin declared (read)', async () => {
    const service = ctx().resolve<{ read(id: string): Promise<{ id: string } | null>; findAll(o?: unknown): Promise<{ total: number }> }>(INTEGRATION_PERMISSION_SERVICE_TOKEN);
    expect((await service.read(stack.http.id))?.id).toBe(stack.http.id);
    expect((await service.findAll({ where: { provider: 'dingtalk' } })).total).toBeGreaterThanOrEqual(2);
  });

  it('gates the handoff queue by the declared operations: enqueue yes, wait no', async () => {
    const queue = ctx().resolve<{ enqueue(m: unknown): Promise<unknown>; enqueueAndWait(m: unknown): Promise<unknown> }>(HANDOFF_QUEUE_SERVICE_TOKEN);
    await expect(queue.enqueue({ type: 'x' })).resolves.toEqual({ id: 'q1' });
    expect(enqueued).toHaveLength(1);
    expect(() => queue.enqueueAndWait({ type: 'x' })).toThrow(/operation 'wait' without declaring it/);
  });

  it('refuses a service nobody declared', () => {
    stack.host.services.provide('XPERT_PLUGIN_USER_PERMISSION_SERVICE', { find: () => null }, { type: 'user', operations: { find: 'read' } });
    expect(() => ctx().resolve('XPERT_PLUGIN_USER_PERMISSION_SERVICE')).toThrow(/without declaring a 'user' permission/);
  });
});

describe('republish by diff', () => {
  const xpertId = randomUUID();
  const bindings = async () => new TriggerBindingRepository(await stack.host.get(PluginDatabase).open());

  it('a republish without the trigger stops it: the binding is gone and the next message gets the "no expert bound" notice', async () => {
    const trigger = { from: 'dingtalk', config: { enabled: true, integrationId: stack.http.id, sessionTimeoutSeconds: 600 } };
    await stack.host.publishXpert(xpertId, [trigger]);
    expect((await (await bindings()).findByIntegration(stack.http.id))?.xpertId).toBe(xpertId);
    const changed = { ...trigger, config: { ...trigger.config, sessionTimeoutSeconds: 900 } };
    await stack.host.publishXpert(xpertId, [changed]);
    expect((await (await bindings()).findByIntegration(stack.http.id))?.config.sessionTimeoutSeconds).toBe(900);

    await stack.host.publishXpert(xpertId, []);
    expect(await (await bindings()).findByIntegration(stack.http.id)).toBeNull();

    stack.simulator.clearMessages();
    const conversationId = `cid-${randomUUID()}`;
    const message = stack.http.driver.robotMessage({ conversationType: 'private', text: 'anyone there?', senderStaffId: 'user001', conversationId, msgId: `msg-${randomUUID()}` });
    expect((await stack.http.driver.postRobotMessage(stack.http.webhookUrl, message)).status).toBe(200);
    const notice = t('zh-Hans', 'reply.notConnected');
    await waitFor(() => stack.simulator.messages().some((m) => JSON.stringify(m.content).includes(notice)), 'the not-connected notice');
  });
});

describe('the 3.17 loader', () => {
  it('finds the plugin system-level, with the permissions it resolves through ctx declared', async () => {
    const packageJson = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
    expect(pluginLevel(packageJson)).toBe('system');
    const plugin = (await import('../../../src/index')).default as { permissions?: unknown[] };
    expect(plugin.permissions).toEqual(
      expect.arrayContaining([
        { type: 'integration', service: 'dingtalk', operations: ['read'] },
        { type: 'integration', service: 'dingtalk_long', operations: ['read'] },
        { type: 'handoff', operations: ['enqueue'] },
      ]),
    );
  });

  it('refuses a plugin that ships @xpert-ai/plugin-sdk in its dependencies', async () => {
    await expect(startHost({ profile: '3.17', pluginPackage: { name: 'p', dependencies: { '@xpert-ai/plugin-sdk': '3.17.3' } } })).rejects.toThrow(/must be a peerDependency/);
  });
});
