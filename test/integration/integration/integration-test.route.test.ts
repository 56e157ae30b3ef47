import { IntegrationStrategyRegistry } from '@xpert-ai/plugin-sdk';
import { HTTP_APP, startPluginHost, type PluginHost } from '../../support/plugin-host';

let stack: PluginHost;

beforeAll(async () => {
  stack = await startPluginHost({ withStream: false });
});

afterAll(async () => {
  await stack?.close();
});

async function postTest(body: unknown, authorization = stack.host.authorization) {
  const response = await fetch(`${stack.host.url}/api/dingtalk/test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

const secrets = [HTTP_APP.clientSecret, HTTP_APP.callbackToken, HTTP_APP.callbackAesKey];

describe('the dingtalk integration provider in a 3.7-like host', () => {
  it('resolves from the SDK integration registry with the provider meta', () => {
    const strategy = stack.host.get(IntegrationStrategyRegistry).get('dingtalk', 'global') as any;
    expect(strategy.meta.name).toBe('dingtalk');
    expect(strategy.meta.webhook).toBe(true);
    expect(strategy.meta.webhookUrl).toBe('{{apiBaseUrl}}/api/dingtalk/webhook/{{integrationId}}');
    expect(strategy.meta.schema.required).toEqual(expect.arrayContaining(['clientId', 'clientSecret']));
    expect(strategy.meta.schema.properties.clientSecret['x-ui'].component).toBe('secretInput');
    expect(strategy.meta.schema.properties.callbackAesKey['x-ui'].component).toBe('secretInput');
    expect(strategy.meta.label.zh_Hans).toBe('钉钉');
  });

  it('runs the plugin migrations at bootstrap: the six tables exist', async () => {
    const rows: { table_name: string }[] = await stack.host.hostDataSource.query(
      "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'plugin_dingtalk_%' ORDER BY table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'plugin_dingtalk_aggregate',
        'plugin_dingtalk_conversation_binding',
        'plugin_dingtalk_handoff',
        'plugin_dingtalk_inbox',
        'plugin_dingtalk_outbox',
        'plugin_dingtalk_trigger_binding',
      ]),
    );
  });

  it('requires a logged-in host user for Test', async () => {
    const { status } = await postTest({ provider: 'dingtalk', options: { ...HTTP_APP, mode: 'http' } }, 'Bearer not-a-token');
    expect(status).toBe(401);
  });

  it('checks good credentials against DingTalk and returns the callback URL without any secret', async () => {
    stack.simulator.clearCalls();
    const { status, text } = await postTest({ id: stack.http.id, name: 'DingTalk HTTP', provider: 'dingtalk', options: { ...HTTP_APP, mode: 'http' } });
    expect(status).toBe(200);
    const body = JSON.parse(text);
    expect(body.webhookUrl).toBe(`${stack.host.url}/api/dingtalk/webhook/${stack.http.id}`);
    expect(body.options.clientId).toBe(HTTP_APP.clientId);
    expect(body.checks).toMatchObject({ credentials: 'ok', mode: 'http', cardCallback: { routeKey: expect.any(String), callbackUrl: body.webhookUrl, secret: 'generated' } });
    for (const secret of secrets) expect(text).not.toContain(secret);
    // One token for the credential check (a fresh client), one for the app's shared client that registers the card route.
    expect(stack.simulator.calls({ path: '/v1.0/oauth2/accessToken' }).length).toBeLessThanOrEqual(2);
    expect(stack.simulator.calls({ path: '/v1.0/card/callbacks/register' })).toHaveLength(1);
  });

  it('answers 400 with an actionable code for credentials DingTalk rejects, and echoes no secret', async () => {
    const { status, text } = await postTest({ provider: 'dingtalk', options: { ...HTTP_APP, clientSecret: 'wrong-secret-value', mode: 'http' } });
    expect(status).toBe(400);
    const body = JSON.parse(text);
    expect(body.code).toBe('dingtalk_credentials_invalid');
    expect(body.message).toMatch(/developer console/);
    expect(text).not.toContain('wrong-secret-value');
  });

  it.each([
    ['a 42-character AES key', { callbackAesKey: HTTP_APP.callbackAesKey.slice(1) }, 'callbackAesKey'],
    ['an empty token in http mode', { callbackToken: '' }, 'callbackToken'],
    ['an empty client secret', { clientSecret: '' }, 'clientSecret'],
  ])('rejects %s with a message naming the field (P4)', async (_name, patch, field) => {
    const { status, text } = await postTest({ provider: 'dingtalk', options: { ...HTTP_APP, mode: 'http', ...patch } });
    expect(status).toBe(400);
    const body = JSON.parse(text);
    expect(body.code).toBe('dingtalk_config_invalid');
    expect(body.details.fields.map((f: { field: string }) => f.field)).toContain(field);
    expect(body.message).toContain(field);
  });

  it('validateConfig on the strategy rejects bad credentials with the same code', async () => {
    const strategy = stack.host.get(IntegrationStrategyRegistry).get('dingtalk', 'global') as any;
    await expect(strategy.validateConfig({ ...HTTP_APP, clientSecret: 'nope', mode: 'http' })).rejects.toMatchObject({ code: 'dingtalk_credentials_invalid' });
    await expect(strategy.validateConfig({ ...HTTP_APP, mode: 'http' })).resolves.toMatchObject({ mode: 'http', warnings: expect.any(Array) });
  });
});
