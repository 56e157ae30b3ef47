import { DingTalkClient } from '../../../src/dingtalk/client';
import { parsePluginConfig } from '../../../src/config/plugin-config';
import { createWorkerFrom } from '../../../src/handoff/worker.service';
import type { JobHandler } from '../../../src/handoff/job-handler.port';
import { HandoffRepository, silentLogger } from '../../../src/persistence';
import { createSimulator, type DingTalkSimulator } from '../../../sandbox/simulator';
import { type TestDatabase, useFreshTables } from '../../support/database';
import { newJob, outcomeRecorder, row } from './worker-fixtures';

// A permanent failure is attempted once end to end: the real DingTalk client against the simulator
// with its missing-permission switch, inside the worker exactly as the plugin configures it (no
// extra permanent codes passed): one DingTalk call, the job dead at attempt 1, a reason an admin reads.

const APP = { clientId: 'dingpermanentapp', clientSecret: 'permanent-secret-1' };
const BATCH_SEND = '/v1.0/robot/oToMessages/batchSend';

describe('a permanent DingTalk error in a job', () => {
  let t: TestDatabase;
  let sim: DingTalkSimulator;

  beforeAll(async () => {
    sim = await createSimulator();
    sim.apps.register(APP);
  });
  afterAll(() => sim.close());
  useFreshTables((database) => {
    t = database;
  });

  it('is attempted once: one DingTalk call, dead at attempt 1, the missing scope in the last error', async () => {
    sim.faults.set({ missingScope: { path: BATCH_SEND, scope: 'qyapi_robot_sendmsg' } });
    // Client retries are on (the plugin's defaults): the catalogue must keep them from repeating it.
    const client = new DingTalkClient({ ...APP, apiBaseUrl: sim.baseUrl, oapiBaseUrl: sim.baseUrl, retryBaseMs: 1, retryMaxMs: 2, rateLimit: { perSecond: 0 } });
    const handler: JobHandler = {
      kind: 'message',
      handle: () => client.sendToUsers({ userIds: ['u1'], msgKey: 'sampleText', msgParam: { content: 'hello' } }).then(() => undefined),
    };
    const config = parsePluginConfig({ worker: { maxAttempts: 6, pollIntervalMs: 60_000, leaseMs: 600_000 } });
    const outcomes = outcomeRecorder();
    const worker = createWorkerFrom(t.db, config, [handler], silentLogger, { onJobSettled: outcomes.onJobSettled });
    const job = await new HandoffRepository(t.db).enqueue(t.db, newJob({ maxAttempts: 6 }));
    const settled = outcomes.next(job.id);

    expect(await worker.runOnce()).toBe(1);
    expect(await settled).toBe('dead');
    await worker.stop();

    expect(sim.calls({ path: BATCH_SEND })).toHaveLength(1);
    const dead = await row(t.db, job.id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 1 });
    expect(String(dead.last_error)).toMatch(/^dingtalk_permission_missing: .*qyapi_robot_sendmsg.*权限管理/);
  });
});
