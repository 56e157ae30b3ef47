import { createFakeThreadsApi, type FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import type { CardActionEvent } from '../../../src/kernel/inbound-event';
import { TriggerBindingRepository } from '../../../src/persistence';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';
import { EngineHarness } from './support/engine-harness';
import { integrationRecord } from './support/fakes';

const API_KEY = 'sk-x-card-test-key';
const INTEGRATION = 'int-card';

describe('card buttons: verified like signed links, then run on the session queue', () => {
  let t: TestDatabase;
  let fake: FakeThreadsApi;
  let engine: EngineHarness;

  beforeAll(async () => {
    t = await openTestDatabase();
    fake = createFakeThreadsApi({ apiKey: API_KEY });
    const apiBaseUrl = await fake.listen();
    engine = new EngineHarness({ db: t.db, apiBaseUrl });
    engine.records.add(integrationRecord(INTEGRATION));
  });
  afterAll(async () => {
    await fake?.close();
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
    engine.reply.replies.length = 0;
    engine.reply.notices.length = 0;
    await new TriggerBindingRepository(t.db).upsert({ integrationId: INTEGRATION, xpertId: 'xpert-card', config: { xpertApiKey: API_KEY } });
  });

  const press = async (params: Record<string, unknown>, userId = 'staff-1', eventId = `card-${Math.random()}`) => {
    const integration = await engine.deps.integrations.resolve(INTEGRATION);
    const event: CardActionEvent = { kind: 'card_action', eventId, outTrackId: 'track-1', userId, actionIds: ['confirm'], params, raw: {} };
    return engine.intake.accept(integration, event);
  };

  it('a Confirm button carrying the signed link resumes the run', async () => {
    await engine.send(INTEGRATION, { text: '/confirm card flow' });
    await engine.drain();
    const { confirmUrl } = engine.reply.replies[0].finished!.actions;

    await press({ actionUrl: confirmUrl });
    const drained = await engine.drain();
    expect(drained.map((d) => [d.job.kind, d.error])).toEqual([
      ['card_action', undefined],
      ['resume', undefined],
    ]);
    const [resume] = await engine.jobs('resume');
    expect(resume.sessionKey).toBe(`${INTEGRATION}:cid-private-1:staff-1`);
    expect(engine.reply.streamedTexts()[1]).toBe('Confirmed: card flow');
  });

  it('the link fields as button params work too; End ends the session', async () => {
    await engine.send(INTEGRATION, { text: 'hi' });
    await engine.drain();
    const query = Object.fromEntries(new URL(engine.reply.replies[0].finished!.actions.endUrl as string).searchParams.entries());
    await press(query);
    await engine.drain();
    expect(engine.reply.notices.map((n) => n.text)).toEqual(['Conversation ended. Your next message starts a new one.']);
  });

  it('a forged, foreign or unsigned press does nothing', async () => {
    await engine.send(INTEGRATION, { text: '/confirm guarded' });
    await engine.drain();
    const confirmUrl = engine.reply.replies[0].finished!.actions.confirmUrl as string;
    const forged = new URL(confirmUrl);
    forged.searchParams.set('p_interrupt', 'something-else');

    await press({ actionUrl: forged.toString() });
    await press({ actionUrl: confirmUrl }, 'staff-someone-else');
    await press({ note: 'no link at all' });
    const drained = await engine.drain();
    // The forged and the foreign press are refused at the door (no job); the press without a link
    // is queued and does nothing.
    expect(drained.map((d) => [d.job.kind, d.error])).toEqual([['card_action', undefined]]);
    expect(await engine.jobs('resume')).toEqual([]);
    expect(engine.reply.replies).toHaveLength(1);
  });

  it('the same press delivered twice forwards once', async () => {
    await engine.send(INTEGRATION, { text: '/confirm once' });
    await engine.drain();
    const confirmUrl = engine.reply.replies[0].finished!.actions.confirmUrl as string;
    await press({ actionUrl: confirmUrl }, 'staff-1', 'card-dup');
    await engine.drain();
    // A redelivery that got past intake (e.g. a job re-run after a lost completion) is deduped too.
    const [cardJob] = await engine.jobs('card_action');
    await engine.handlers.get('card_action')!.handle(cardJob, { signal: new AbortController().signal, owner: 'x' });
    await engine.drain();
    expect(await engine.jobs('resume')).toHaveLength(1);
  });
});
