import { randomUUID } from 'node:crypto';
import { HTTP_APP } from '../../support/plugin-host';
import { startSecurityStack, type SecurityStack } from './security-stack';

/**
 * Door: the admin routes (connection status, Test). They answer only for integrations of the
 * caller's tenant and organization, from the host's request context; anything else is 404 — the
 * same answer as an unknown id — and costs no call to DingTalk.
 */
let stack: SecurityStack;
let foreignId: string;
let legacyStreamId: string;

beforeAll(async () => {
  stack = await startSecurityStack({ pluginConfig: { worker: { enabled: false } } });
  foreignId = await stack.host.addIntegration({ tenantId: randomUUID(), organizationId: randomUUID(), name: 'Foreign bot', options: { ...HTTP_APP, mode: 'http' } });
  // As 0.0.9 saved a Stream bot: provider `dingtalk_long`, in the caller's own tenant.
  legacyStreamId = await stack.host.addIntegration({ name: 'Old stream bot', provider: 'dingtalk_long', options: { clientId: 'legacy-app', clientSecret: 'legacy-secret' } });
});

afterAll(async () => {
  await stack?.close();
});

const getJson = (path: string) =>
  fetch(`${stack.host.url}${path}`, { headers: { authorization: stack.host.authorization } }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

const status = (id: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.host.url}/api/dingtalk/status/${id}`, { headers: { authorization: stack.host.authorization, ...headers } }).then(async (r) => ({ status: r.status, body: await r.json() }));

describe('tenant scope of the admin routes', () => {
  it('the status route answers 404 for another tenant’s integration, like for an unknown one', async () => {
    const foreign = await status(foreignId);
    const unknown = await status(randomUUID());
    expect(foreign).toEqual({ status: 404, body: unknown.body });
    expect((await status(stack.http.id)).status).toBe(200);
  });

  it('the status route answers 404 when the request names another organization', async () => {
    expect((await status(stack.http.id, { 'organization-id': randomUUID() })).status).toBe(404);
  });

  it('Test answers 404 for another tenant’s integration and calls DingTalk for nothing', async () => {
    stack.simulator.clearCalls();
    const before = await stack.rows();
    const answer = await stack.test(foreignId, { ...HTTP_APP, mode: 'http' });
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('dingtalk_integration_not_found');
    expect(stack.simulator.calls()).toHaveLength(0);
    expect(await stack.rows()).toEqual(before);
    expect((await stack.test(stack.http.id, { ...HTTP_APP, mode: 'http' })).status).toBe(200);
  });

  it('the people and group pickers answer 404 for another tenant’s integration and read nothing from DingTalk', async () => {
    stack.simulator.clearCalls();
    for (const route of ['user-select-options', 'chat-select-options']) {
      const foreign = await getJson(`/api/dingtalk/${route}?integration=${foreignId}`);
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe('dingtalk_integration_not_found');
    }
    expect(stack.simulator.calls()).toHaveLength(0);
    expect((await getJson(`/api/dingtalk/chat-select-options?integration=${stack.http.id}`)).status).toBe(200);
  });

  it('the integration picker lists the caller’s bots of both providers, and no other tenant’s', async () => {
    const listed = await getJson('/api/dingtalk/integration-select-options');
    expect(listed.status).toBe(200);
    const values = (listed.body as Array<{ value: string; label: string; description: string }>).map((option) => option.value);
    expect(values).toContain(stack.http.id);
    expect(values).toContain(legacyStreamId);
    expect(values).not.toContain(foreignId);
    expect(listed.body.find((option: { value: string }) => option.value === legacyStreamId)).toMatchObject({ label: 'Old stream bot', description: expect.stringContaining('dingtalk_long') });
  });

  it('the pickers need a login like every admin route', async () => {
    expect((await fetch(`${stack.host.url}/api/dingtalk/integration-select-options`)).status).toBe(401);
  });
});
