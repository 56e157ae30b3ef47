import { AbandonedCardSweeper } from '../../../src/delivery/abandoned-card.sweeper';
import { AppBudgetRepository } from '../../../src/persistence/app-budget.repository';
import { OutboxRepository } from '../../../src/persistence/outbox.repository';
import type { SimMessage } from '../../../sandbox/simulator';
import { APP, openReplyWorld, textOf, type ReplyWorld } from '../reply/reply-harness';

// No card left spinning: a replica dies while its answer card streams; another replica's sweep
// finds the card (its owner has no heartbeat), gives a job retry the grace to take it over, then
// finalizes it in the card's language as an interrupted answer. A live owner's card is left alone.
// Real HTTP to the simulator, real database.

const TEMPLATE = 'tpl.answer.v1';
const GRACE_MS = 60_000;
const quiet = { debug: () => undefined, warn: () => undefined };

let world: ReplyWorld;

beforeAll(async () => {
  world = await openReplyWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(async () => {
  await world.reset();
});

/** A replica that starts an answer card and then stops (dies) before finishing it. */
async function startAnswer(replicaId: string, key: string, language: 'en' | 'zh-Hans'): Promise<void> {
  const service = world.service({ cardTemplateId: () => TEMPLATE, replicaId });
  const session = await service.open(world.target('group', { language }), key);
  await session.onEvent({ type: 'text', delta: 'Half of the ans' });
}

const cardTrack = new Map<string, string>();

/** The simulator's card of an answer (found by the outTrackId its outbox row recorded). */
function cardOf(key: string): SimMessage {
  const card = world.sim.messages().find((m) => m.kind === 'card' && m.outTrackId === cardTrack.get(key));
  if (!card) throw new Error(`no card for ${key}`);
  return card;
}

async function remember(key: string): Promise<void> {
  const row = await new OutboxRepository(world.database.db).findByKey(`${key}:card`);
  cardTrack.set(key, row?.outTrackId ?? '');
}

/** Another replica's sweep, on a clock the test moves. */
function sweeperAt(now: () => number): AbandonedCardSweeper {
  return new AbandonedCardSweeper({
    outbox: async () => new OutboxRepository(world.database.db),
    replicaId: 'replica-sweeper',
    clientFor: async () => world.client(),
    staleMs: 600_000,
    graceMs: GRACE_MS,
    clock: () => new Date(now()),
    logger: quiet,
  });
}

it("finalizes a dead replica's streaming card after the grace, localized, and leaves a live replica's card alone", async () => {
  await startAnswer('replica-dead', 'answer-dead', 'zh-Hans');
  await startAnswer('replica-live', 'answer-live', 'en');
  await remember('answer-dead');
  await remember('answer-live');
  // The live replica heartbeats; the dead one stopped (it has no membership row at all).
  await new AppBudgetRepository(world.database.db).heartbeat('replica-live', [APP.clientId], 600_000);

  let now = Date.now();
  const sweeper = sweeperAt(() => now);

  expect(await sweeper.sweep()).toBe(0); // found orphaned: a job retry may still take it over
  expect((cardOf('answer-dead').content as { stream?: { finalized: boolean } }).stream?.finalized ?? false).toBe(false);

  now += GRACE_MS + 1;
  expect(await sweeper.sweep()).toBe(1);
  const dead = cardOf('answer-dead');
  expect((dead.content as { stream: { finalized: boolean; error: boolean } }).stream).toMatchObject({ finalized: true, error: true });
  expect(textOf(dead)).toBe('_此回答在完成前被中断，请重新提问。_');
  expect((cardOf('answer-live').content as { stream?: { finalized: boolean } }).stream?.finalized ?? false).toBe(false);

  // Done once: later sweeps find nothing more.
  now += GRACE_MS + 1;
  expect(await sweeper.sweep()).toBe(0);
});

it('an answer whose job gave up on a live replica is left to the sweep, which finalizes its card', async () => {
  const service = world.service({ cardTemplateId: () => TEMPLATE, replicaId: 'replica-live' });
  await new AppBudgetRepository(world.database.db).heartbeat('replica-live', [APP.clientId], 600_000);
  const session = await service.open(world.target('group'), 'answer-gave-up');
  await session.onEvent({ type: 'text', delta: 'Half of the ans' });
  await remember('answer-gave-up');
  let now = Date.now();
  const sweeper = sweeperAt(() => now);
  expect(await sweeper.sweep()).toBe(0); // its owner lives and still streams it
  await service.abandon('answer-gave-up');
  expect(await sweeper.sweep()).toBe(0); // orphaned now: the grace starts
  now += GRACE_MS + 1;
  expect(await sweeper.sweep()).toBe(1);
  expect((cardOf('answer-gave-up').content as { stream: { finalized: boolean; error: boolean } }).stream).toMatchObject({ finalized: true, error: true });
});

it('a job retry that takes the card over within the grace keeps it: the sweep leaves it to the retry', async () => {
  await startAnswer('replica-dead', 'answer-retried', 'en');
  await remember('answer-retried');
  let now = Date.now();
  const sweeper = sweeperAt(() => now);
  expect(await sweeper.sweep()).toBe(0);
  // The retry runs on a live replica and finishes the answer in the same card.
  await new AppBudgetRepository(world.database.db).heartbeat('replica-retry', [APP.clientId], 600_000);
  const service = world.service({ cardTemplateId: () => TEMPLATE, replicaId: 'replica-retry' });
  const session = await service.open(world.target('group'), 'answer-retried');
  await session.onEvent({ type: 'text', delta: 'The full answer.' });
  now += GRACE_MS + 1;
  expect(await sweeper.sweep()).toBe(0);
  await session.finish({ text: 'The full answer.', status: 'idle' }, {});
  expect(textOf(cardOf('answer-retried'))).toBe('The full answer.');
  expect(await sweeper.sweep()).toBe(0);
});
