import { HandoffRepository, type NewHandoffJob } from '../../../src/persistence';
import { type TestDatabase, useFreshTables } from '../../support/database';

const LEASE = 30_000;

function job(overrides: Partial<NewHandoffJob> = {}): NewHandoffJob {
  return { kind: 'message', integrationId: 'int-1', sessionKey: 'A', payload: {}, ...overrides };
}

describe('HandoffRepository.completeAndClaimNext (a completion claims the session successor)', () => {
  let t: TestDatabase;
  let queue: HandoffRepository;

  useFreshTables((database) => {
    t = database;
    queue = new HandoffRepository(t.db);
  });

  it('completes the job and hands its owner the session next job, leased and counted', async () => {
    const a1 = await queue.enqueue(t.db, job());
    const b1 = await queue.enqueue(t.db, job({ sessionKey: 'B' }));
    const a2 = await queue.enqueue(t.db, job());
    await queue.enqueue(t.db, job());
    const [claimed] = await queue.claim({ owner: 'w1', limit: 1, leaseMs: LEASE });
    expect(claimed.id).toBe(a1.id);

    const { completed, next } = await queue.completeAndClaimNext(a1.id, 'w1', LEASE);
    expect(completed).toBe(true);
    // A's next job, not the older job of session B: B is for the regular claim.
    expect(next).toMatchObject({ id: a2.id, status: 'running', leaseOwner: 'w1', attempts: 1 });
    expect(await queue.get(a1.id)).toMatchObject({ status: 'done' });
    expect((await queue.get(b1.id))!.status).toBe('queued');
    // The third job of A waits behind the second one.
    expect((await queue.claim({ owner: 'w2', limit: 10, leaseMs: LEASE })).map((j) => j.id)).toEqual([b1.id]);
  });

  it('joins completions of one owner made together into one statement, each with its own successor', async () => {
    const a1 = await queue.enqueue(t.db, job());
    const b1 = await queue.enqueue(t.db, job({ sessionKey: 'B' }));
    const a2 = await queue.enqueue(t.db, job());
    const b2 = await queue.enqueue(t.db, job({ sessionKey: 'B' }));
    await queue.claim({ owner: 'w1', limit: 10, leaseMs: LEASE });
    let statements = 0;
    const counted = new HandoffRepository({
      query: (sql, params) => {
        statements += 1;
        return t.db.query(sql, params);
      },
    });
    const [ra, rb] = await Promise.all([counted.completeAndClaimNext(a1.id, 'w1', LEASE), counted.completeAndClaimNext(b1.id, 'w1', LEASE)]);
    expect(statements).toBe(1);
    expect([ra.completed, rb.completed]).toEqual([true, true]);
    expect([ra.next?.id, rb.next?.id]).toEqual([a2.id, b2.id]);
  });

  it('claims nothing when the completion did not happen (lease lost): the session stays serial', async () => {
    const a1 = await queue.enqueue(t.db, job());
    const a2 = await queue.enqueue(t.db, job());
    await queue.claim({ owner: 'w1', limit: 1, leaseMs: LEASE });
    const result = await queue.completeAndClaimNext(a1.id, 'someone-else', LEASE);
    expect(result).toEqual({ completed: false, next: null });
    expect((await queue.get(a1.id))!.status).toBe('running');
    expect((await queue.get(a2.id))!.status).toBe('queued');
  });

  it('does not pass an earlier job of the session that is queued again (a retry waiting for its time)', async () => {
    const a1 = await queue.enqueue(t.db, job());
    const a2 = await queue.enqueue(t.db, job());
    const a3 = await queue.enqueue(t.db, job());
    await queue.claim({ owner: 'w1', limit: 1, leaseMs: LEASE });
    // a1 completes and chains a2, which then fails into a retry a minute away.
    expect((await queue.completeAndClaimNext(a1.id, 'w1', LEASE)).next?.id).toBe(a2.id);
    expect(await queue.fail(a2.id, 'w1', new Error('boom'), { retryInMs: 60_000 })).toMatchObject({ status: 'queued' });
    // Nothing of A is claimable now: a2 waits for its retry time and a3 must not pass it.
    expect(await queue.claim({ owner: 'w2', limit: 10, leaseMs: LEASE })).toEqual([]);
    expect((await queue.get(a3.id))!.status).toBe('queued');
  });

  it('a due successor that is not the oldest queued job of its session is not taken', async () => {
    const a1 = await queue.enqueue(t.db, job());
    const a2 = await queue.enqueue(t.db, job({ runAt: new Date(Date.now() + 60_000) }));
    const a3 = await queue.enqueue(t.db, job());
    await queue.claim({ owner: 'w1', limit: 1, leaseMs: LEASE });
    const { completed, next } = await queue.completeAndClaimNext(a1.id, 'w1', LEASE);
    expect(completed).toBe(true);
    expect(next).toBeNull();
    expect((await queue.get(a2.id))!.status).toBe('queued');
    expect((await queue.get(a3.id))!.status).toBe('queued');
  });
});
