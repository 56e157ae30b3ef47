import { createFakeThreadsApi, type FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import { AggregateRepository, TriggerBindingRepository } from '../../../src/persistence';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';
import { EngineHarness } from './support/engine-harness';
import { integrationRecord } from './support/fakes';

const API_KEY = 'sk-x-window-test-key';
const INTEGRATION = 'int-window';
const SESSION = `${INTEGRATION}:cid-private-1:staff-1`;

type RunBody = { input?: { input?: { input?: string; files?: unknown[] } } };
const runText = (body: unknown) => (body as RunBody).input?.input?.input;

describe('summary window: messages inside the window are answered as one turn', () => {
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
      xpertId: 'xpert-window',
      config: { summaryWindowSeconds: 10, xpertApiKey: API_KEY },
    });
  });

  it('three messages inside the window → one dispatch with the three texts in order; a later message → a new dispatch', async () => {
    const before = fake.runs().length;
    await engine.send(INTEGRATION, { text: 'first' });
    await engine.drain();
    engine.clock.advance(4000);
    await engine.send(INTEGRATION, { text: 'second', attachments: [{ kind: 'file', downloadCode: 'dc-1', fileName: 'a.pdf' }] });
    await engine.drain();
    engine.clock.advance(4000);
    const third = await engine.send(INTEGRATION, { text: 'third' });
    await engine.drain();
    expect(fake.runs().length).toBe(before); // nothing ran inside the window

    engine.clock.advance(9999);
    // The two older flushes are due and find a newer version; the newest is not due yet.
    expect((await engine.drain()).map((d) => [d.job.kind, d.error])).toEqual([
      ['flush', undefined],
      ['flush', undefined],
    ]);
    expect(fake.runs().length).toBe(before);
    engine.clock.advance(1);
    const drained = await engine.drain();
    expect(drained.map((d) => [d.job.kind, d.error])).toEqual([
      ['flush', undefined],
      ['dispatch', undefined],
    ]);
    const flushes = await engine.jobs('flush');
    expect(flushes).toHaveLength(3);
    expect(flushes.every((job) => job.sessionKey === null && job.status === 'done')).toBe(true);
    const [dispatch] = await engine.jobs('dispatch');
    expect(dispatch.sessionKey).toBe(SESSION);
    expect((dispatch.payload as { events: { text: string; attachments: unknown[] }[] }).events.map((e) => e.text)).toEqual(['first', 'second', 'third']);
    expect((dispatch.payload as { events: { attachments: unknown[] }[] }).events[1].attachments).toEqual([{ kind: 'file', downloadCode: 'dc-1', fileName: 'a.pdf' }]);

    const runs = fake.runs().slice(before);
    expect(runs).toHaveLength(1);
    // No DingTalk client in this engine: the file cannot be fetched and becomes a note, in place.
    expect(runText(runs[0].body)).toBe('first\nsecond\n[The user sent an attachment (file) that could not be passed on.]\nthird');
    expect(engine.reply.replies).toHaveLength(1);
    expect(engine.reply.replies[0].key).toBe(third.eventId);
    expect(await new AggregateRepository(t.db).get(SESSION)).toBeNull();

    await engine.send(INTEGRATION, { text: 'fourth' });
    await engine.drain();
    engine.clock.advance(10_000);
    await engine.drain();
    const later = fake.runs().slice(before);
    expect(later).toHaveLength(2);
    expect(runText(later[1].body)).toBe('fourth');
    expect(later[1].threadId).toBe(later[0].threadId);
  });

  it('the buffer survives a restart: a new engine on the same database dispatches it', async () => {
    const before = fake.runs().length;
    await engine.send(INTEGRATION, { text: 'before restart 1' });
    await engine.send(INTEGRATION, { text: 'before restart 2' });
    await engine.drain();

    const restarted = engine.restart();
    engine.clock.advance(10_000);
    const drained = await restarted.drain();
    expect(drained.map((d) => d.job.kind)).toEqual(['flush', 'flush', 'dispatch']);
    const runs = fake.runs().slice(before);
    expect(runs).toHaveLength(1);
    expect(runText(runs[0].body)).toBe('before restart 1\nbefore restart 2');
  });

  it('ending the session drops a buffered window; its flush then does nothing', async () => {
    const before = fake.runs().length;
    await engine.send(INTEGRATION, { text: 'one' });
    await engine.drain();
    engine.clock.advance(10_000);
    await engine.drain();
    const endUrl = engine.reply.replies[0].finished!.actions.endUrl as string;

    await engine.send(INTEGRATION, { text: 'never answered' });
    await engine.drain();
    await engine.openLink(endUrl);
    await engine.drain();
    engine.clock.advance(10_000);
    const drained = await engine.drain();
    expect(drained.map((d) => [d.job.kind, d.error])).toEqual([['flush', undefined]]);
    expect(fake.runs().slice(before)).toHaveLength(1);
    expect(engine.reply.notices.map((n) => n.text)).toEqual(['Conversation ended. Your next message starts a new one.']);
  });

  it('a flush left over from an earlier buffer does not dispatch a newer buffer early', async () => {
    await engine.send(INTEGRATION, { text: 'a' });
    await engine.drain();
    // The buffer is dropped (end action) while its flush job is still waiting.
    await new AggregateRepository(t.db).clear(SESSION);
    engine.clock.advance(5000);
    await engine.send(INTEGRATION, { text: 'b' }); // version 1 again, due 10 s from now
    await engine.drain();
    engine.clock.advance(5000); // the old flush (version 1) is due; the new buffer is not
    const drained = await engine.drain();
    expect(drained.map((d) => d.job.kind)).toEqual(['flush']);
    expect(await new AggregateRepository(t.db).get(SESSION)).not.toBeNull();
    engine.clock.advance(5000);
    expect((await engine.drain()).map((d) => d.job.kind)).toEqual(['flush', 'dispatch']);
  });
});
