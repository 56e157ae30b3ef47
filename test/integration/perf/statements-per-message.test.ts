import { WorkflowTriggerRegistry } from '@xpert-ai/plugin-sdk';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { WorkerService } from '../../../src/handoff/worker.service';
import { useFakeThreadsApi } from '../../support/fake-threads';
import { startPluginHost, type PluginHost } from '../../support/plugin-host';
import { breakdown, quiet, StatementLog } from '../../support/statement-log';
import { waitFor } from '../../support/wait-for';

/**
 * Statements one answered private message costs once warm (19 before the cuts): the inbox+job insert,
 * the claim, the trigger binding, the summary-window buffer check, the session read and its two
 * touches, two sends (outbox row and its `sent` mark each) and the completion. Lower it when a cut
 * lands; a rise fails here with the breakdown printed above.
 */
const MAX_STATEMENTS = 12;
const API_KEY = 'sk-x-perf-statements-key';
const XPERT = 'xpert-perf-statements';

let stack: PluginHost;
const threads = useFakeThreadsApi(API_KEY);
let log: StatementLog;

beforeAll(async () => {
  stack = await startPluginHost({
    withStream: false,
    // Timers that run whether or not messages arrive stay out of the window: only what a message costs is counted.
    pluginConfig: {
      worker: { pollIntervalMs: 60_000 },
      delivery: { budgetHeartbeatMs: 60_000, cardSweepIntervalMs: 3_600_000 },
      queue: { maintenanceIntervalMs: 0 },
    },
  });
  // Published the way the host publishes an expert's trigger (as the first-reply bench does).
  const trigger = stack.host.get(WorkflowTriggerRegistry).get('dingtalk', 'global');
  await trigger.publish(
    { xpertId: XPERT, config: { enabled: true, integrationId: stack.http.id, xpertApiKey: API_KEY, xpertApiBaseUrl: threads.url, sessionTimeoutSeconds: 3600, summaryWindowSeconds: 0 } },
    () => undefined,
  );
  log = StatementLog.attach({ db: stack.host.get(PluginDatabase).db, host: stack.host.hostDataSource });
});

afterAll(async () => {
  log?.detach();
  await stack?.close();
});

/** One private message from `user`, answered: the expert ran, the job is done and the plugin went quiet. */
async function answered(user: string, text: string): Promise<void> {
  const worker = stack.host.get(WorkerService);
  const runs = threads.api.runs().length;
  const completed = worker.stats()?.completed ?? 0;
  const response = await stack.http.driver.postRobotMessage(stack.http.webhookUrl, stack.http.driver.robotMessage({ conversationType: 'private', senderStaffId: user, text }));
  expect(response.status).toBe(200);
  await waitFor(() => threads.api.runs()[runs]?.outcome === 'completed', 'the expert run');
  await waitFor(() => (worker.stats()?.completed ?? 0) > completed && worker.stats()?.inFlight === 0, 'the job to complete');
  await quiet(log);
  expect(stack.simulator.messages().filter((message) => message.target.id === user).map((message) => JSON.stringify(message.content)).join('\n')).toContain(text);
}

describe('SQL statements per answered private message', () => {
  it(`stays within ${MAX_STATEMENTS} after warm-up`, async () => {
    await answered('staff-perf-1', 'warm up please');
    log.start();
    await answered('staff-perf-1', 'count this one');
    const statements = log.stop();
    process.stdout.write(`\nSQL statements for one answered private message, in order:\n${statements.map((s, i) => `${String(i + 1).padStart(3)}  ${s}`).join('\n')}\n\nby statement:\n${breakdown(statements)}\n`);
    expect(statements.length).toBeLessThanOrEqual(MAX_STATEMENTS);
    // Read a moment ago by the warm-up: the integration comes from the plugin's cache (integrationCacheMs).
    expect(statements.filter((statement) => statement.startsWith('host:'))).toEqual([]);
  });
});
