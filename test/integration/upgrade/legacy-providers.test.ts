import { IntegrationStrategyRegistry } from '@xpert-ai/plugin-sdk';
import { HTTP_APP, STREAM_APP, startPluginHost, type PluginHost } from '../../support/plugin-host';

/** Both providers of 0.0.9 are served: `dingtalk` (our form) and `dingtalk_long` (its Stream records). */
let stack: PluginHost;

beforeAll(async () => {
  stack = await startPluginHost({ withStream: false });
});

afterAll(async () => {
  await stack?.close();
});

async function postTest(path: string, body: unknown) {
  const response = await fetch(`${stack.host.url}/api/${path}/test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: stack.host.authorization },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

describe('the dingtalk_long provider', () => {
  it('is registered with a Stream-only form of our fields', () => {
    const strategy = stack.host.get(IntegrationStrategyRegistry).get('dingtalk_long', 'global') as any;
    expect(strategy.meta.name).toBe('dingtalk_long');
    expect(strategy.meta.webhook).toBe(false);
    expect(strategy.meta.schema.properties.mode.enum).toEqual(['stream']);
    expect(Object.keys(strategy.meta.schema.properties)).toEqual(expect.arrayContaining(['clientId', 'clientSecret', 'robotCode', 'xpertId', 'preferredLanguage']));
    expect(strategy.meta.schema.properties).not.toHaveProperty('callbackAesKey');
    expect(stack.host.get(IntegrationStrategyRegistry).get('dingtalk', 'global')).not.toBe(strategy);
  });

  it('Test on a record with 0.0.9 keys: Stream mode, credentials checked, ignored keys named, no secret echoed', async () => {
    const options = { clientId: STREAM_APP.clientId, clientSecret: STREAM_APP.clientSecret, preferLanguage: 'en', connectionMode: 'long_connection', webhookAccessToken: 'tok-old', webhookSignSecret: 'SECold' };
    stack.simulator.apps.register(STREAM_APP);
    const { status, text } = await postTest('dingtalk_long', { provider: 'dingtalk_long', options });
    expect(status).toBe(200);
    const body = JSON.parse(text);
    expect(body).toMatchObject({ provider: 'dingtalk_long', options: { mode: 'stream', preferredLanguage: 'en', preferLanguage: 'en', connectionMode: 'long_connection' }, checks: { credentials: 'ok', mode: 'stream' } });
    expect(body.checks.warnings).toEqual([expect.stringContaining('webhookAccessToken, webhookSignSecret')]);
    for (const secret of [STREAM_APP.clientSecret, 'tok-old', 'SECold']) expect(text).not.toContain(secret);
  });

  it('Test of our own form on the dingtalk provider has no warnings', async () => {
    const { status, text } = await postTest('dingtalk', { provider: 'dingtalk', options: { ...HTTP_APP, mode: 'http' } });
    expect(status).toBe(200);
    expect(JSON.parse(text).checks).not.toHaveProperty('warnings');
  });
});
