import { HandoffRepository, InboxGroupCommit, InboxRepository, type InboxAcceptInput, type InboxAcceptResult, type Queryable } from '../../../src/persistence';
import { deferred, openTestDatabase, resetTables, type TestDatabase } from '../../support/database';

function event(eventId: string, payload: unknown = { text: 'hello' }): InboxAcceptInput {
  return {
    integrationId: 'int-1',
    eventId,
    kind: 'message',
    conversationId: 'cid-1',
    senderId: 'staff-1',
    job: { kind: 'message', sessionKey: 'int-1:cid-1:staff-1', payload },
  };
}

async function count(t: TestDatabase, table: string): Promise<number> {
  const rows = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return Number(rows[0].n);
}

/** Tracks whether a promise has settled, without waiting for it. */
function watch<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let done = false;
  const mark = () => (done = true);
  promise.then(mark, mark);
  return { settled: () => done, promise };
}

/** Let every already-resolved continuation run, so "not settled" means really waiting. */
async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

describe('InboxGroupCommit', () => {
  let t: TestDatabase;
  let inbox: InboxRepository;
  let queue: HandoffRepository;
  let flushes: Array<() => void>;
  let statements: string[];
  let gate: ReturnType<typeof deferred>;
  /** The database, but every statement waits for `gate` and is recorded. */
  let gated: Queryable;

  const group = () =>
    new InboxGroupCommit({ db: gated, acceptOne: (one) => inbox.acceptAtomic(gated, one), defer: (flush) => void flushes.push(flush) });
  const flush = () => flushes.shift()!();

  beforeAll(async () => {
    t = await openTestDatabase();
    inbox = new InboxRepository(t.db);
    queue = new HandoffRepository(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
    flushes = [];
    statements = [];
    gate = deferred();
    gated = {
      query: async (sql, params) => {
        statements.push(sql);
        await gate.promise;
        return t.db.query(sql, params);
      },
    };
  });

  it('joins concurrent events into one statement and answers each only after it committed', async () => {
    const committer = group();
    const calls = ['m-1', 'm-2', 'm-3'].map((id) => watch(committer.accept(event(id))));
    expect(committer.waiting).toBe(3);
    flush();
    await drainMicrotasks();
    expect(statements).toHaveLength(1);
    expect(calls.some((call) => call.settled())).toBe(false);
    expect(await count(t, 'plugin_dingtalk_inbox')).toBe(0);

    gate.resolve(undefined);
    const results = await Promise.all(calls.map((call) => call.promise));
    expect(statements).toHaveLength(1);
    expect(results.every((result) => result.accepted && typeof result.jobId === 'string')).toBe(true);
    expect(new Set(results.map((result) => result.jobId)).size).toBe(3);
    expect(await count(t, 'plugin_dingtalk_inbox')).toBe(3);
    for (const result of results) expect(await queue.get(result.jobId!)).toMatchObject({ status: 'queued', payload: { text: 'hello' } });
  });

  it('keeps arrival order as queue order within a batch', async () => {
    const committer = group();
    const calls = ['z-last-id', 'a-first-id', 'm-middle'].map((id) => committer.accept(event(id)));
    flush();
    gate.resolve(undefined);
    const results = await Promise.all(calls);
    const seqs = await Promise.all(results.map(async (result) => (await queue.get(result.jobId!))!.seq));
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('a duplicate event id in the same batch, or one stored earlier, yields exactly one job', async () => {
    gate.resolve(undefined);
    await inbox.acceptAtomic(t.db, event('old'));
    const committer = group();
    const calls = [event('dup'), event('dup'), event('old'), event('new')].map((input) => committer.accept(input));
    flush();
    const [first, second, old, fresh] = await Promise.all(calls);
    expect(statements).toHaveLength(1);
    expect(first.accepted).toBe(true);
    expect(second).toEqual({ accepted: false });
    expect(old).toEqual({ accepted: false });
    expect(fresh.accepted).toBe(true);
    expect(await count(t, 'plugin_dingtalk_inbox')).toBe(3);
    expect(await count(t, 'plugin_dingtalk_handoff')).toBe(3);
  });

  it('a row the database refuses fails only its own request: the batch is retried one by one', async () => {
    gate.resolve(undefined);
    const committer = group();
    // PostgreSQL's jsonb cannot hold U+0000, so this row alone makes any statement carrying it fail.
    const calls = [event('good-1'), event('bad', { text: 'nul \u0000 byte' }), event('good-2')].map((input) => watch(committer.accept(input)));
    flush();
    const outcomes = await Promise.allSettled(calls.map((call) => call.promise));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const accepted = outcomes.filter((o): o is PromiseFulfilledResult<InboxAcceptResult> => o.status === 'fulfilled').map((o) => o.value.accepted);
    expect(accepted).toEqual([true, true]);
    // One joined attempt, then one statement per event.
    expect(statements).toHaveLength(4);
    expect(await inbox.has('int-1', 'bad')).toBe(false);
    expect(await count(t, 'plugin_dingtalk_inbox')).toBe(2);
    expect(await count(t, 'plugin_dingtalk_handoff')).toBe(2);
  });

  it('refuses bad input on its own without holding up the others', async () => {
    gate.resolve(undefined);
    const committer = group();
    await expect(committer.accept(event(''))).rejects.toMatchObject({ code: 'dingtalk_persistence_invalid_argument' });
    expect(committer.waiting).toBe(0);
    const ok = committer.accept(event('fine'));
    flush();
    expect((await ok).accepted).toBe(true);
  });

  it('what arrives while a batch is in flight forms the next batch', async () => {
    const committer = new InboxGroupCommit({
      db: gated,
      acceptOne: (one) => inbox.acceptAtomic(gated, one),
      defer: (next) => void flushes.push(next),
      maxInFlight: 1,
    });
    const early = [committer.accept(event('e-1')), committer.accept(event('e-2'))];
    flush();
    await drainMicrotasks();
    const late = [committer.accept(event('l-1')), committer.accept(event('l-2')), committer.accept(event('e-1'))];
    // Nothing is scheduled while the only slot is busy.
    expect(flushes).toHaveLength(0);
    gate.resolve(undefined);
    await Promise.all(early);
    await drainMicrotasks();
    flush();
    const [l1, l2, again] = await Promise.all(late);
    expect(statements).toHaveLength(2);
    expect([l1.accepted, l2.accepted, again.accepted]).toEqual([true, true, false]);
    expect(await count(t, 'plugin_dingtalk_handoff')).toBe(4);
  });

  it('the repository shares one committer per database: acceptGrouped answers like acceptAtomic', async () => {
    gate.resolve(undefined);
    const results = await Promise.all([inbox.acceptGrouped(t.db, event('g-1')), inbox.acceptGrouped(t.db, event('g-1')), inbox.acceptGrouped(t.db, event('g-2'))]);
    expect(results.map((result) => result.accepted)).toEqual([true, false, true]);
    expect(await count(t, 'plugin_dingtalk_handoff')).toBe(2);
  });
});
