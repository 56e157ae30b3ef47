import { createFakeThreadsApi, type FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import { TriggerBindingRepository } from '../../../src/persistence';
import { ConversationStateRepository } from '../../../src/persistence/conversation-state.repository';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';
import { EngineHarness, PUBLIC_BASE_URL } from './support/engine-harness';
import { integrationRecord } from './support/fakes';
import type { ReplySession } from '../../../src/reply/reply.port';

const API_KEY = 'sk-x-conversation-test-key';
const INTEGRATION = 'int-conv';
const XPERT = 'xpert-conv';

type RunBody = { input?: { input?: { input?: string; files?: unknown[] } } };
const runText = (body: unknown) => (body as RunBody).input?.input?.input;

describe('conversation engine: message → session → Xpert API runner → reply port', () => {
  let t: TestDatabase;
  let fake: FakeThreadsApi;
  let apiBaseUrl: string;
  let engine: EngineHarness;

  beforeAll(async () => {
    t = await openTestDatabase();
    fake = createFakeThreadsApi({ apiKey: API_KEY });
    apiBaseUrl = await fake.listen();
  });
  afterAll(async () => {
    await fake?.close();
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
    engine = new EngineHarness({ db: t.db, apiBaseUrl });
    engine.records.add(integrationRecord(INTEGRATION));
    await new TriggerBindingRepository(t.db).upsert({
      integrationId: INTEGRATION,
      xpertId: XPERT,
      config: { sessionTimeoutSeconds: 600, summaryWindowSeconds: 0, xpertApiKey: API_KEY },
    });
  });

  const runsSince = (before: number) => fake.runs().slice(before);

  /** The job's retry (an hour later) succeeds and finishes the one answer from the first run. */
  const expectRetryAnswersWithoutRerun = async (runsBefore: number, answer: string) => {
    engine.clock.advance(3600_000);
    const second = await engine.drain();
    expect(second.map((d) => [d.job.kind, d.error])).toEqual([['message', undefined]]);
    expect(runsSince(runsBefore)).toHaveLength(1);
    const finished = engine.reply.finishedReplies();
    expect(finished).toHaveLength(1);
    expect(finished[0].finished?.result.text).toContain(answer);
  };

  /** Lets a test put faults between the engine and the recording reply port. */
  const wrapReplySessions = (wrap: (session: ReplySession) => ReplySession) => {
    const open = engine.reply.open.bind(engine.reply);
    engine.reply.open = async (target, key) => wrap(await open(target, key));
  };

  it('a private message runs the expert with its text and streams the answer into the reply port', async () => {
    const before = fake.runs().length;
    const sent = await engine.send(INTEGRATION, { text: 'hello expert' });
    expect(sent.status).toBe('accepted');

    const drained = await engine.drain();
    expect(drained.map((d) => [d.job.kind, d.error])).toEqual([['message', undefined]]);

    const runs = runsSince(before);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ assistantId: XPERT, kind: 'send', status: 200 });
    expect(runText(runs[0].body)).toBe('hello expert');

    expect(engine.reply.replies).toHaveLength(1);
    const [reply] = engine.reply.replies;
    expect(reply.key).toBe(sent.eventId);
    expect(reply.target).toMatchObject({ integrationId: INTEGRATION, conversationType: 'private', conversationId: 'cid-private-1', senderStaffId: 'staff-1', language: 'en' });
    expect(engine.reply.streamedTexts()[0]).toContain('**You said:** hello expert');
    expect(reply.events[reply.events.length - 1]).toEqual({ type: 'end', status: 'idle' });
    expect(reply.finished?.result.status).toBe('idle');
    expect(reply.finished?.actions.endUrl).toMatch(new RegExp(`^${PUBLIC_BASE_URL}/api/dingtalk/action\\?.*action=dingtalk%3Aend`));
    expect(reply.finished?.actions.confirmUrl).toBeUndefined();
  });

  it('a group @-message is answered in the group, in a session of its sender', async () => {
    const before = fake.runs().length;
    await engine.send(INTEGRATION, { conversationType: 'group', conversationId: 'cid-group-1', conversationTitle: 'Team', text: 'status please', isInAtList: true });
    await engine.drain();
    expect(runText(runsSince(before)[0].body)).toBe('status please');
    expect(engine.reply.replies[0].target).toMatchObject({ conversationType: 'group', conversationId: 'cid-group-1' });
    const [job] = await engine.jobs('message');
    expect(job.sessionKey).toBe(`${INTEGRATION}:cid-group-1:staff-1`);
    expect(fake.threads().find((thread) => thread.threadId === runsSince(before)[0].threadId)?.title).toBe('DingTalk · Team');
  });

  it('the second message of a session continues the same thread; after the idle timeout a new thread starts', async () => {
    const before = fake.runs().length;
    await engine.send(INTEGRATION, { text: 'first' });
    await engine.drain();
    engine.clock.advance(599_000);
    await engine.send(INTEGRATION, { text: 'second' });
    await engine.drain();
    const [first, second] = runsSince(before);
    expect(second.threadId).toBe(first.threadId);
    expect(engine.reply.streamedTexts()[1]).toContain('This is turn 2 of our conversation.');

    engine.clock.advance(601_000); // idle longer than sessionTimeoutSeconds (600)
    await engine.send(INTEGRATION, { text: 'third' });
    await engine.drain();
    const third = runsSince(before)[2];
    expect(third.threadId).not.toBe(first.threadId);
    expect(engine.reply.streamedTexts()[2]).toContain('This is turn 1 of our conversation.');
  });

  it('the end action ends the session, confirms it in the chat, and the next message starts a new thread', async () => {
    const before = fake.runs().length;
    await engine.send(INTEGRATION, { text: 'before end' });
    await engine.drain();
    const endUrl = engine.reply.replies[0].finished?.actions.endUrl as string;

    expect((await engine.openLink(endUrl)).status).toBe('accepted');
    const drained = await engine.drain();
    expect(drained.map((d) => [d.job.kind, d.error])).toEqual([['end_session', undefined]]);
    expect(engine.reply.notices).toEqual([
      expect.objectContaining({ text: 'Conversation ended. Your next message starts a new one.', target: expect.objectContaining({ conversationId: 'cid-private-1' }) }),
    ]);

    await engine.send(INTEGRATION, { text: 'after end' });
    await engine.drain();
    const [beforeEnd, afterEnd] = runsSince(before);
    expect(afterEnd.threadId).not.toBe(beforeEnd.threadId);
  });

  it('an interrupted run offers Confirm/Reject; Confirm resumes it and the answer arrives; a second click changes nothing', async () => {
    const before = fake.runs().length;
    await engine.send(INTEGRATION, { text: '/confirm the weekly report' });
    await engine.drain();
    const asked = engine.reply.replies[0].finished;
    expect(asked?.result.status).toBe('interrupted');
    expect(asked?.result.interrupt?.prompt).toContain('send_report');
    const { confirmUrl, rejectUrl, endUrl } = asked!.actions;
    expect(confirmUrl && rejectUrl && endUrl).toBeTruthy();

    await engine.openLink(confirmUrl as string);
    const drained = await engine.drain();
    expect(drained.map((d) => [d.job.kind, d.error])).toEqual([['resume', undefined]]);
    const resumed = runsSince(before)[1];
    expect(resumed).toMatchObject({ kind: 'resume', threadId: runsSince(before)[0].threadId });
    expect(engine.reply.streamedTexts()[1]).toBe('Confirmed: the weekly report');
    expect(engine.reply.replies[1].finished?.result.status).toBe('idle');
    expect(await new ConversationStateRepository(t.db).get(engine.reply.replies[1].target.integrationId + ':cid-private-1:staff-1')).toMatchObject({ pendingInterrupt: null });

    // The Reject link of the same question: already answered.
    await engine.openLink(rejectUrl as string);
    await engine.drain();
    expect(runsSince(before)).toHaveLength(2);
    // Confirm was acknowledged before the resumed answer; the late Reject is told it is too late.
    expect(engine.reply.notices.map((n) => n.text)).toEqual(['Confirmed. Continuing…', 'This request was already answered or is no longer waiting for you.']);
  });

  it('Reject resumes the run with a rejection and ends with a message', async () => {
    const before = fake.runs().length;
    await engine.send(INTEGRATION, { text: '/confirm delete everything' });
    await engine.drain();
    await engine.openLink(engine.reply.replies[0].finished!.actions.rejectUrl as string);
    await engine.drain();
    expect(runsSince(before)[1].kind).toBe('resume');
    expect(engine.reply.streamedTexts()[1]).toBe('Rejected');
    expect(engine.reply.notices.map((n) => n.text)).toEqual(['Cancelled as you asked.']);
    // Acknowledged before anything of the continued run reaches the chat.
    const resumed = engine.reply.replies[1].key;
    expect(engine.reply.timeline.slice(-2)).toEqual(['notice:Cancelled as you asked.', `answer:${resumed}`]);
  });

  it('an expert error is finished as an error (the reply path tells the user), not silence', async () => {
    await engine.send(INTEGRATION, { text: '/error' });
    const drained = await engine.drain();
    expect(drained[0].error).toBeUndefined();
    expect(engine.reply.replies[0].finished?.result).toMatchObject({ status: 'error', error: 'Demo expert failure' });
  });

  it('attachments: a picture goes to the expert as a file; one that cannot be fetched becomes a note', async () => {
    const calls: string[] = [];
    engine = new EngineHarness({
      db: t.db,
      apiBaseUrl,
      records: engine.records,
      files: () => ({
        getMessageFileDownloadUrl: async (code: string) => {
          calls.push(code);
          if (code === 'broken') throw new Error('expired');
          return { downloadUrl: `https://files.example.com/${code}` };
        },
      }),
    });
    const before = fake.runs().length;
    await engine.send(INTEGRATION, { msgType: 'picture', text: '', attachments: [{ kind: 'picture', downloadCode: 'pic-1' }] });
    await engine.drain();
    await engine.send(INTEGRATION, { msgType: 'file', text: 'see file', attachments: [{ kind: 'file', downloadCode: 'broken', fileName: 'a.pdf' }] });
    await engine.drain();
    expect(calls).toEqual(['pic-1', 'broken']);
    const [withPicture, withBroken] = runsSince(before);
    expect((withPicture.body as RunBody).input?.input?.files).toEqual([{ url: 'https://files.example.com/pic-1', name: 'image' }]);
    expect(runText(withBroken.body)).toBe('see file\n[The user sent an attachment (file) that could not be passed on.]');
  });

  it('an error no retry can fix (the Xpert host rejects the API key) dead-letters at once and still tells the user', async () => {
    await new TriggerBindingRepository(t.db).upsert({
      integrationId: INTEGRATION,
      xpertId: XPERT,
      config: { sessionTimeoutSeconds: 600, summaryWindowSeconds: 0, xpertApiKey: 'not-the-key' },
    });
    await engine.send(INTEGRATION, { text: 'hello?' });
    const [first] = await engine.drain();
    expect(first.error).toMatchObject({ code: 'dingtalk_expert_auth_failed' });
    const [job] = await engine.jobs('message');
    expect(job).toMatchObject({ status: 'dead', attempts: 1 });
    expect(job.lastError).toContain('rejected the API key');
    expect(engine.reply.notices.map((n) => n.text)).toEqual(['Sorry, the expert could not answer this time. Please try again in a moment.']);
  });

  it('a retried job after the answer went out does not ask the expert twice', async () => {
    const before = fake.runs().length;
    // The first finish fails (DingTalk down while closing the answer): the job is retried.
    let failFinish = true;
    wrapReplySessions((session) => ({
      onEvent: session.onEvent,
      finish: async (result, actions) => {
        if (failFinish) {
          failFinish = false;
          throw new Error('DingTalk unreachable (test)');
        }
        return session.finish(result, actions);
      },
    }));
    await engine.send(INTEGRATION, { text: 'once only' });
    const first = await engine.drain();
    // The injected failure itself, not any error (a TypeError would also be "defined").
    expect(first[0].error).toBeInstanceOf(Error);
    expect((first[0].error as Error).message).toBe('DingTalk unreachable (test)');
    await expectRetryAnswersWithoutRerun(before, 'once only');
  });
  it('a reply that fails mid-stream does not cut the expert off: the run is read to its end, recorded, and the retry only redoes the reply', async () => {
    const before = fake.runs().length;
    let failures = 1;
    wrapReplySessions((session) => ({
      onEvent: async (event) => {
        if (event.type === 'text' && failures > 0) {
          failures -= 1;
          throw new Error('DingTalk unreachable (test)');
        }
        return session.onEvent(event);
      },
      finish: session.finish,
    }));
    await engine.send(INTEGRATION, { text: 'keep reading' });
    const first = await engine.drain();
    expect(String(first[0].error)).toContain('DingTalk unreachable');
    expect(runsSince(before)).toHaveLength(1);
    expect(runsSince(before)[0].outcome).toBe('completed');
    await expectRetryAnswersWithoutRerun(before, '**You said:** keep reading');
  });
});
