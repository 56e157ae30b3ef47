import { createFakeThreadsApi, type FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import { TriggerBindingRepository } from '../../../src/persistence';
import { CALLBACK_MISSING_CODE } from '../../../src/runner/runner.selector';
import { PermanentJobError } from '../../../src/handoff/job-handler.port';
import { DingTalkError } from '../../../src/kernel/errors';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';
import { EngineHarness } from './support/engine-harness';
import { integrationRecord } from './support/fakes';

const API_KEY = 'sk-x-routing-test-key';
const INTEGRATION = 'int-route';

describe('routing: conversation binding > trigger binding > integration fallback > not connected', () => {
  let t: TestDatabase;
  let fake: FakeThreadsApi;
  let apiBaseUrl: string;
  let engine: EngineHarness;
  let triggers: TriggerBindingRepository;

  beforeAll(async () => {
    t = await openTestDatabase();
    fake = createFakeThreadsApi({ apiKey: API_KEY });
    apiBaseUrl = await fake.listen();
    triggers = new TriggerBindingRepository(t.db);
  });
  afterAll(async () => {
    await fake?.close();
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
    engine = new EngineHarness({ db: t.db, apiBaseUrl });
  });

  it('a live conversation keeps its expert after the trigger is rebound, until it ends', async () => {
    engine.records.add(integrationRecord(INTEGRATION));
    await triggers.upsert({ integrationId: INTEGRATION, xpertId: 'xpert-old', config: { xpertApiKey: API_KEY } });
    const before = fake.runs().length;
    await engine.send(INTEGRATION, { text: 'one' });
    await engine.drain();

    await triggers.upsert({ integrationId: INTEGRATION, xpertId: 'xpert-new', config: { xpertApiKey: API_KEY } });
    await engine.send(INTEGRATION, { text: 'two' });
    await engine.drain();
    // Another person on the same integration starts fresh with the new expert.
    await engine.send(INTEGRATION, { text: 'hi', senderStaffId: 'staff-2', senderId: 'other' });
    await engine.drain();

    await engine.openLink(engine.reply.replies[1].finished!.actions.endUrl as string);
    await engine.drain();
    await engine.send(INTEGRATION, { text: 'three' });
    await engine.drain();

    expect(fake.runs().slice(before).map((run) => run.assistantId)).toEqual(['xpert-old', 'xpert-old', 'xpert-new', 'xpert-new']);
  });

  it("without a trigger binding the integration's fallback expert answers (host callback on this replica)", async () => {
    engine.records.add(integrationRecord(INTEGRATION, { xpertId: 'xpert-fallback' }));
    const payloads: unknown[] = [];
    engine.callbacks.register('xpert-fallback', (payload) => void payloads.push(payload));
    const sent = await engine.send(INTEGRATION, { text: 'who answers?' });
    const drained = await engine.drain();
    expect(drained[0].error).toBeUndefined();
    expect(payloads).toEqual([
      {
        from: 'dingtalk',
        xpertId: 'xpert-fallback',
        state: {
          human: {
            input: 'who answers?',
            dingtalk: {
              integrationId: INTEGRATION,
              conversationType: 'private',
              conversationId: 'cid-private-1',
              senderStaffId: 'staff-1',
              senderNick: 'Alice',
              sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=abc',
              sessionWebhookExpiresAt: expect.any(Number),
              eventId: sent.eventId,
              language: 'en',
            },
          },
        },
      },
    ]);
    // The host discards the output; the notify middleware answers. Nothing is sent from here.
    expect(engine.reply.replies).toEqual([]);
    expect(engine.reply.notices).toEqual([]);
  });

  it('a disabled trigger does not route; the fallback expert does', async () => {
    engine.records.add(integrationRecord(INTEGRATION, { xpertId: 'xpert-fallback' }));
    await triggers.upsert({ integrationId: INTEGRATION, xpertId: 'xpert-disabled', enabled: false, config: { xpertApiKey: API_KEY } });
    const called: string[] = [];
    engine.callbacks.register('xpert-fallback', () => void called.push('fallback'));
    await engine.send(INTEGRATION, { text: 'x' });
    await engine.drain();
    expect(called).toEqual(['fallback']);
  });

  it('"not connected" is said once per session per hour, and the jobs complete', async () => {
    engine.records.add(integrationRecord(INTEGRATION));
    await engine.send(INTEGRATION, { text: 'anyone?' });
    await engine.send(INTEGRATION, { text: 'hello??' });
    const drained = await engine.drain();
    expect(drained.map((d) => d.error)).toEqual([undefined, undefined]);
    expect(engine.reply.notices.map((n) => n.text)).toEqual([
      'This bot is not connected to an expert yet. Ask your Xpert admin to add a DingTalk trigger to an expert and publish it.',
    ]);
    // Another person gets their own notice.
    await engine.send(INTEGRATION, { text: 'me too', senderStaffId: 'staff-2', senderId: 'other' });
    await engine.drain();
    expect(engine.reply.notices).toHaveLength(2);

    engine.clock.advance(3600_000);
    await engine.send(INTEGRATION, { text: 'still nobody?' });
    await engine.drain();
    expect(engine.reply.notices).toHaveLength(3);
    expect((await engine.jobs('message')).map((job) => job.status)).toEqual(['done', 'done', 'done', 'done']);
  });

  it('a failed "not connected" send is retried and still said only once', async () => {
    engine.records.add(integrationRecord(INTEGRATION));
    const hour = 3600_000;
    engine.clock.value = Math.ceil(engine.clock.value / hour) * hour + 10 * 60_000; // well inside one hour
    engine.retryDelayMs = 1000;
    engine.reply.failNotices = 1;
    await engine.send(INTEGRATION, { text: 'anyone?' });
    expect(((await engine.drain())[0].error as Error).message).toBe('DingTalk unreachable (test)');
    expect(engine.reply.notices).toHaveLength(0);
    engine.clock.advance(1000); // the retry is due, in the same hour: the gate was reserved but never marked sent
    await engine.drain();
    expect(engine.reply.notices).toHaveLength(1);
    await engine.send(INTEGRATION, { text: 'again?' });
    await engine.drain();
    expect(engine.reply.notices).toHaveLength(1);
  });

  it('no API key and no callback on this replica: a retryable error that names the reason, then a dead letter and a notice', async () => {
    engine.records.add(integrationRecord(INTEGRATION));
    await triggers.upsert({ integrationId: INTEGRATION, xpertId: 'xpert-elsewhere', config: {} });
    await engine.send(INTEGRATION, { text: 'hi' });
    const [first] = await engine.drain();
    expect(first.error).toBeInstanceOf(DingTalkError);
    expect(first.error).not.toBeInstanceOf(PermanentJobError);
    expect((first.error as DingTalkError).code).toBe(CALLBACK_MISSING_CODE);
    expect((first.error as DingTalkError).message).toMatch(/No replica has this expert's trigger callback/);
    let [job] = await engine.jobs('message');
    expect(job.status).toBe('queued');
    expect(job.lastError).toMatch(/No replica has this expert's trigger callback/);
    expect(engine.reply.notices).toEqual([]);

    for (let attempt = 2; attempt <= job.maxAttempts; attempt++) {
      engine.clock.advance(3600_000);
      await engine.drain();
    }
    [job] = await engine.jobs('message');
    expect(job.status).toBe('dead');
    expect(engine.reply.notices.map((n) => n.text)).toEqual(['Sorry, the expert could not answer this time. Please try again in a moment.']);
  });

  it('the same job succeeds on a replica that holds the callback', async () => {
    engine.records.add(integrationRecord(INTEGRATION));
    await triggers.upsert({ integrationId: INTEGRATION, xpertId: 'xpert-elsewhere', config: {} });
    await engine.send(INTEGRATION, { text: 'hi' });
    expect((await engine.drain())[0].error).toMatchObject({ code: CALLBACK_MISSING_CODE });

    const other = engine.restart();
    const called: unknown[] = [];
    other.callbacks.register('xpert-elsewhere', (payload) => void called.push(payload));
    engine.clock.advance(3600_000);
    const drained = await other.drain();
    expect(drained.map((d) => d.error)).toEqual([undefined]);
    expect(called).toHaveLength(1);
  });
});
