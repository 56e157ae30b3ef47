import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { HandoffRepository, TABLES, type Database } from '../../../src/persistence';
import { HTTP_APP, startPluginHost, type PluginHost } from '../../support/plugin-host';

// The operator routes over real HTTP through the host's auth guard: list dead letters with their
// last error, retry one or all, and see the figures in the status route, all inside one tenant.

let stack: PluginHost;
let db: Database;
let queue: HandoffRepository;

async function call(method: 'GET' | 'POST', path: string, authorization: string | null = stack.host.authorization) {
  const response = await fetch(`${stack.host.url}/api${path}`, { method, headers: authorization ? { authorization } : {} });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function deadJob(integrationId: string, reason: string): Promise<string> {
  const job = await queue.enqueue(db, { kind: 'message', integrationId, payload: { text: 'secret message body' }, maxAttempts: 3 });
  const [claimed] = await queue.claim({ owner: 'w', limit: 1, leaseMs: 60_000 });
  expect(claimed.id).toBe(job.id);
  await queue.fail(job.id, 'w', reason, { dead: true });
  return job.id;
}

beforeAll(async () => {
  // No worker: retried jobs stay queued where the test can see them.
  stack = await startPluginHost({ withStream: false, pluginConfig: { worker: { enabled: false } } });
  db = stack.host.get(PluginDatabase).db;
  queue = new HandoffRepository(db);
});
afterAll(() => stack?.close());
beforeEach(() => db.query(`DELETE FROM ${TABLES.handoff}`));

describe('dead-letter operator routes', () => {
  it('list, retry one, retry all; figures in the status route; nothing for strangers', async () => {
    const id = stack.http.id;
    const first = await deadJob(id, 'dingtalk_permission_missing: grant qyapi_robot_sendmsg');
    const second = await deadJob(id, 'dingtalk_reply_no_route: no webhook');
    const third = await deadJob(id, 'dingtalk_api_error: bad request');
    const elsewhere = await deadJob('other-integration', 'dingtalk_api_error: not yours');

    expect((await call('GET', `/dingtalk/queue/${id}/dead`, null)).status).toBe(401);

    const listed = await call('GET', `/dingtalk/queue/${id}/dead`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { id: string }) => item.id).sort()).toEqual([first, second, third].sort());
    expect(listed.body.items.find((item: { id: string }) => item.id === first)).toMatchObject({
      kind: 'message',
      attempts: 1,
      lastError: 'dingtalk_permission_missing: grant qyapi_robot_sendmsg',
      code: 'dingtalk_permission_missing',
      hint: expect.stringContaining('Permission management'),
    });
    expect(JSON.stringify(listed.body)).not.toContain('secret message body');
    expect((await call('GET', `/dingtalk/queue/${id}/dead?limit=zero`)).body).toMatchObject({ code: 'dingtalk_request_invalid' });

    const status = await call('GET', `/dingtalk/status/${id}`);
    expect(status.body.queue).toMatchObject({ dead: 3, queued: 0 });

    const one = await call('POST', `/dingtalk/queue/${id}/dead/${first}/retry`);
    expect(one).toMatchObject({ status: 200, body: { retried: [first] } });
    expect(await queue.get(first)).toMatchObject({ status: 'queued', attempts: 0 });
    const again = await call('POST', `/dingtalk/queue/${id}/dead/${first}/retry`);
    expect(again).toMatchObject({ status: 404, body: { code: 'dingtalk_job_not_found' } });
    // Another integration's job cannot be retried through this one.
    expect((await call('POST', `/dingtalk/queue/${id}/dead/${elsewhere}/retry`)).status).toBe(404);

    const all = await call('POST', `/dingtalk/queue/${id}/dead/retry`);
    expect(all.status).toBe(200);
    expect([...all.body.retried].sort()).toEqual([second, third].sort());
    expect((await call('GET', `/dingtalk/queue/${id}`)).body.queue).toMatchObject({ queued: 3, dead: 0 });
    expect(await queue.get(elsewhere)).toMatchObject({ status: 'dead' });
  });

  it("answers 404 for another tenant's integration, as if it did not exist", async () => {
    const foreign = await stack.host.addIntegration({ tenantId: '00000000-0000-4000-8000-00000000beef', name: 'Other tenant', options: { ...HTTP_APP, mode: 'http' } });
    await deadJob(foreign, 'dingtalk_api_error: theirs');
    for (const [method, path] of [
      ['GET', `/dingtalk/queue/${foreign}/dead`],
      ['GET', `/dingtalk/queue/${foreign}`],
      ['POST', `/dingtalk/queue/${foreign}/dead/retry`],
    ] as const) {
      expect(await call(method, path)).toMatchObject({ status: 404, body: { code: 'dingtalk_integration_not_found' } });
    }
    expect((await queue.deadLetters()).some((job) => job.integrationId === foreign)).toBe(true);
  });
});
