import { WorkflowTriggerRegistry } from '@xpert-ai/plugin-sdk';
import { WorkerService } from '../../../src/handoff/worker.service';
import { t } from '../../../src/i18n';
import { useFakeThreadsApi } from '../../support/fake-threads';
import { startPluginHost, type PluginHost } from '../../support/plugin-host';
import { waitFor } from '../../support/wait-for';

// The trigger binding is read once per message and handed along, never kept between messages: a
// trigger disabled between two messages decides the second one.

const API_KEY = 'sk-x-trigger-disabled-key';
const XPERT = 'xpert-trigger-disabled';

const threads = useFakeThreadsApi(API_KEY);
let stack: PluginHost;

beforeAll(async () => {
  stack = await startPluginHost({ withStream: false });
});

afterAll(() => stack?.close());

async function publish(enabled: boolean): Promise<void> {
  const trigger = stack.host.get(WorkflowTriggerRegistry).get('dingtalk', 'global');
  await trigger.publish({ xpertId: XPERT, config: { enabled, integrationId: stack.http.id, xpertApiKey: API_KEY, xpertApiBaseUrl: threads.url } }, () => undefined);
}

/** Sends one private message and waits until its job is over. */
async function say(user: string, text: string): Promise<void> {
  const worker = stack.host.get(WorkerService);
  const completed = worker.stats()?.completed ?? 0;
  const response = await stack.http.driver.postRobotMessage(stack.http.webhookUrl, stack.http.driver.robotMessage({ conversationType: 'private', senderStaffId: user, text }));
  expect(response.status).toBe(200);
  await waitFor(() => (worker.stats()?.completed ?? 0) > completed, 'the job to complete');
}

const textsTo = (user: string) => stack.simulator.messages().filter((message) => message.target.id === user).map((message) => JSON.stringify(message.content));

it('a trigger disabled between two messages: a new conversation is not connected, a live one keeps its expert', async () => {
  await publish(true);
  await say('staff-td-live', 'hello while enabled');
  expect(threads.api.runs()).toHaveLength(1);

  await publish(false);
  await say('staff-td-new', 'hello after disabling');
  expect(threads.api.runs()).toHaveLength(1);
  expect(textsTo('staff-td-new').join('\n')).toContain(t('zh-Hans', 'reply.notConnected'));

  await say('staff-td-live', 'still there?');
  expect(threads.api.runs()).toHaveLength(2);
});
