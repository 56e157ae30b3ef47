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

beforeAll(async () => {
  stack = await startSecurityStack({ pluginConfig: { worker: { enabled: false } } });
  foreignId = await stack.host.addIntegration({ tenantId: randomUUID(), organizationId: randomUUID(), options: { ...HTTP_APP, mode: 'http' } });
});

afterAll(async () => {
  await stack?.close();
});

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
});
