import { createFakeThreadsApi, type FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { TriggerBindingRepository } from '../../../src/persistence';
import { startPluginHost, type PluginHost } from '../../support/plugin-host';
import { waitFor } from '../../support/wait-for';

const API_KEY = 'sk-x-quote-test-key';

let stack: PluginHost;
let fake: FakeThreadsApi;

beforeAll(async () => {
  fake = createFakeThreadsApi({ apiKey: API_KEY });
  const fakeUrl = await fake.listen();
  stack = await startPluginHost({ withStream: false });
  await new TriggerBindingRepository(stack.host.get(PluginDatabase).db).upsert({ integrationId: stack.http.id, xpertId: 'xpert-quote', config: { xpertApiKey: API_KEY, xpertApiBaseUrl: fakeUrl } });
});

afterAll(async () => {
  await stack?.close();
  await fake?.close();
});

async function reply(senderStaffId: string, text: string, repliedMsg: Record<string, unknown>): Promise<void> {
  const body = stack.http.driver.robotMessage({ conversationType: 'private', senderStaffId, text });
  const withQuote = { ...body, text: { content: text, isReplyMsg: true, repliedMsg } };
  const response = await stack.http.driver.postRobotMessage(stack.http.webhookUrl, withQuote);
  expect(response.status).toBe(200);
}

describe('quoted replies', () => {
  it("a quoted text reaches the expert's input fenced, before the question", async () => {
    const before = fake.runs().length;
    await reply('staff-quote-1', 'what does this mean?', { msgType: 'text', msgId: 'msgEarlier1', senderId: '$:LWCP_v1:$x', content: { text: 'The deploy window is ```Friday``` 18:00' } });
    await waitFor(() => fake.runs().length > before && fake.runs()[before].outcome === 'completed', 'the expert run');
    const input = JSON.stringify(fake.runs()[before].body);
    expect(input).toContain('回复以下之前的消息');
    expect(input).toContain('````quote\\nThe deploy window is ```Friday``` 18:00\\n````');
    expect(input.indexOf('Friday')).toBeLessThan(input.indexOf('what does this mean?'));
  });

  it('quoted richText brings its text, and its pictures are downloaded like direct ones', async () => {
    const code = stack.simulator.files.add({ bytes: Buffer.from('png-bytes'), fileName: 'chart.png', contentType: 'image/png' });
    const before = fake.runs().length;
    await reply('staff-quote-2', 'summarize the chart', { msgType: 'richText', msgId: 'msgEarlier2', content: { richText: [{ text: 'Q3 numbers' }, { type: 'picture', downloadCode: code }] } });
    await waitFor(() => fake.runs().length > before && fake.runs()[before].outcome === 'completed', 'the expert run');
    const input = JSON.stringify(fake.runs()[before].body);
    expect(input).toContain('Q3 numbers');
    expect(input).toMatch(/"url":"http[^"]+"/);
    expect(input).toContain('summarize the chart');
  });
});
