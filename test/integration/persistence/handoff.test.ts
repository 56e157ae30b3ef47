import { HandoffRepository, type NewHandoffJob } from '../../../src/persistence';
import { type TestDatabase, useFreshTables } from '../../support/database';

const LEASE = 30_000;

function job(overrides: Partial<NewHandoffJob> = {}): NewHandoffJob {
  return { kind: 'message', integrationId: 'int-1', sessionKey: null, payload: { n: 1 }, ...overrides };
}

describe('HandoffRepository (queue semantics)', () => {
  let t: TestDatabase;
  let queue: HandoffRepository;

  useFreshTables((database) => {
    t = database;
    queue = new HandoffRepository(t.db);
  });

  it('claims due jobs in arrival order, sets the lease and counts the attempt', async () => {
    const a = await queue.enqueue(t.db, job({ payload: { n: 1 } }));
    const b = await queue.enqueue(t.db, job({ payload: { n: 2 } }));
    expect(b.seq).toBeGreaterThan(a.seq);

    const claimed = await queue.claim({ owner: 'w1', limit: 10, leaseMs: LEASE });
    expect(claimed.map((j) => j.id)).toEqual([a.id, b.id]);
    for (const j of claimed) {
      expect(j).toMatchObject({ status: 'running', leaseOwner: 'w1', attempts: 1 });
      expect(j.leaseUntil!.getTime()).toBeGreaterThan(Date.now() + LEASE - 5_000);
    }
    expect(await queue.claim({ owner: 'w2', limit: 10, leaseMs: LEASE })).toEqual([]);
  });

  it('respects limit and run_at', async () => {
    await queue.enqueue(t.db, job());
    await queue.enqueue(t.db, job());
    await queue.enqueue(t.db, job({ runAt: new Date(Date.now() + 60_000) }));
    expect(await queue.claim({ owner: 'w1', limit: 1, leaseMs: LEASE })).toHaveLength(1);
    expect(await queue.claim({ owner: 'w1', limit: 10, leaseMs: LEASE })).toHaveLength(1);
    expect(await queue.claim({ owner: 'w1', limit: 10, leaseMs: LEASE })).toHaveLength(0);
  });

  it('runs one job per session at a time, in seq order, while other sessions proceed (P10)', async () => {
    const a1 = await queue.enqueue(t.db, job({ sessionKey: 'A' }));
    const a2 = await queue.enqueue(t.db, job({ sessionKey: 'A' }));
    const b1 = await queue.enqueue(t.db, job({ sessionKey: 'B' }));
    const a3 = await queue.enqueue(t.db, job({ sessionKey: 'A' }));
    const b2 = await queue.enqueue(t.db, job({ sessionKey: 'B' }));
    const free = await queue.enqueue(t.db, job({ sessionKey: null }));

    const first = await queue.claim({ owner: 'w1', limit: 10, leaseMs: LEASE });
    expect(first.map((j) => j.id)).toEqual([a1.id, b1.id, free.id]);
    // While A1 and B1 run, nothing else of A or B is claimable.
    expect(await queue.claim({ owner: 'w2', limit: 10, leaseMs: LEASE })).toEqual([]);

    expect(await queue.complete(b1.id, 'w1')).toBe(true);
    expect((await queue.claim({ owner: 'w2', limit: 10, leaseMs: LEASE })).map((j) => j.id)).toEqual([b2.id]);

    expect(await queue.complete(a1.id, 'w1')).toBe(true);
    expect((await queue.claim({ owner: 'w2', limit: 10, leaseMs: LEASE })).map((j) => j.id)).toEqual([a2.id]);
    expect(await queue.complete(a2.id, 'w2')).toBe(true);
    expect((await queue.claim({ owner: 'w2', limit: 10, leaseMs: LEASE })).map((j) => j.id)).toEqual([a3.id]);
  });

  it('a job waiting for its retry still holds back the later jobs of its session', async () => {
    const a1 = await queue.enqueue(t.db, job({ sessionKey: 'A' }));
    await queue.enqueue(t.db, job({ sessionKey: 'A' }));
    await queue.claim({ owner: 'w1', limit: 1, leaseMs: LEASE });
    await queue.fail(a1.id, 'w1', new Error('flaky'), { retryAt: new Date(Date.now() + 60_000) });
    expect(await queue.claim({ owner: 'w1', limit: 10, leaseMs: LEASE })).toEqual([]);
  });

  it('only the lease owner may complete, fail or extend', async () => {
    const j = await queue.enqueue(t.db, job());
    await queue.claim({ owner: 'w1', limit: 1, leaseMs: LEASE });
    expect(await queue.complete(j.id, 'w2')).toBe(false);
    expect(await queue.fail(j.id, 'w2', 'nope')).toBeNull();
    expect(await queue.extendLease(j.id, 'w2', LEASE)).toBe(false);
    expect(await queue.extendLease(j.id, 'w1', 120_000)).toBe(true);
    expect((await queue.get(j.id))!.leaseUntil!.getTime()).toBeGreaterThan(Date.now() + 100_000);
    expect(await queue.complete(j.id, 'w1')).toBe(true);
    const done = await queue.get(j.id);
    expect(done).toMatchObject({ status: 'done', leaseUntil: null });
    expect(done!.finishedAt).not.toBeNull();
    expect(await queue.complete(j.id, 'w1')).toBe(false);
  });

  it('reclaims a job whose lease expired (back-dated in SQL), then dead-letters it when attempts run out (P12)', async () => {
    const j = await queue.enqueue(t.db, job({ maxAttempts: 2 }));
    await queue.claim({ owner: 'dead-worker', limit: 1, leaseMs: LEASE });
    expect(await queue.reclaimExpired()).toBe(0);

    await t.db.query(`UPDATE plugin_dingtalk_handoff SET lease_until = now() - interval '1 second' WHERE id = $1`, [j.id]);
    expect(await queue.reclaimExpired()).toBe(1);
    expect(await queue.get(j.id)).toMatchObject({ status: 'queued', leaseOwner: null, attempts: 1 });
    expect((await queue.get(j.id))!.lastError).toMatch(/lease expired.*dead-worker/);

    const [again] = await queue.claim({ owner: 'w2', limit: 1, leaseMs: LEASE });
    expect(again).toMatchObject({ id: j.id, attempts: 2 });
    await t.db.query(`UPDATE plugin_dingtalk_handoff SET lease_until = now() - interval '1 second' WHERE id = $1`, [j.id]);
    expect(await queue.reclaimExpired()).toBe(1);
    const dead = await queue.get(j.id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 2 });
    expect(dead!.finishedAt).not.toBeNull();
    // The worker that lost its lease cannot complete it any more.
    expect(await queue.complete(j.id, 'w2')).toBe(false);
  });

  it('retries a failed job at retryAt, then dead-letters it with its last error (P13)', async () => {
    let now = new Date('2025-03-01T10:00:00Z');
    const clocked = new HandoffRepository(t.db, () => now);
    const j = await clocked.enqueue(t.db, job({ maxAttempts: 3 }));

    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const [claimed] = await clocked.claim({ owner: 'w1', limit: 1, leaseMs: LEASE });
      expect(claimed).toMatchObject({ id: j.id, attempts: attempt });
      const retryAt = new Date(now.getTime() + 5_000);
      const failed = await clocked.fail(j.id, 'w1', new Error(`boom ${attempt}`), { retryAt });
      expect(failed).toMatchObject({ status: 'queued', leaseOwner: null, lastError: `Error: boom ${attempt}` });
      expect(failed!.runAt.getTime()).toBe(retryAt.getTime());
      // Not due yet.
      expect(await clocked.claim({ owner: 'w1', limit: 1, leaseMs: LEASE })).toEqual([]);
      now = new Date(retryAt.getTime() + 1);
    }

    await clocked.claim({ owner: 'w1', limit: 1, leaseMs: LEASE });
    const dead = await clocked.fail(j.id, 'w1', new Error('boom 3'), { retryAt: new Date(now.getTime() + 5_000) });
    expect(dead).toMatchObject({ status: 'dead', attempts: 3, lastError: 'Error: boom 3' });
    expect(dead!.finishedAt!.getTime()).toBe(now.getTime());
    expect(await clocked.claim({ owner: 'w1', limit: 1, leaseMs: LEASE })).toEqual([]);
    expect((await clocked.deadLetters(10)).map((d) => d.id)).toEqual([j.id]);
    expect(await clocked.stats()).toEqual({ queued: 0, running: 0, done: 0, dead: 1 });
  });

  it('fail with retryInMs and with dead: true', async () => {
    const a = await queue.enqueue(t.db, job());
    const b = await queue.enqueue(t.db, job());
    await queue.claim({ owner: 'w1', limit: 2, leaseMs: LEASE });
    const retried = await queue.fail(a.id, 'w1', 'later', { retryInMs: 60_000 });
    expect(retried!.runAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
    const permanent = await queue.fail(b.id, 'w1', 'permission missing', { dead: true });
    expect(permanent).toMatchObject({ status: 'dead', attempts: 1, lastError: 'permission missing' });
  });

  it('releaseOwned puts running jobs back without burning an attempt (P14)', async () => {
    const a = await queue.enqueue(t.db, job());
    const b = await queue.enqueue(t.db, job());
    const c = await queue.enqueue(t.db, job());
    await queue.claim({ owner: 'leaving', limit: 2, leaseMs: LEASE });
    await queue.claim({ owner: 'staying', limit: 1, leaseMs: LEASE });

    expect(await queue.releaseOwned('leaving')).toBe(2);
    for (const id of [a.id, b.id]) {
      expect(await queue.get(id)).toMatchObject({ status: 'queued', attempts: 0, leaseOwner: null, leaseUntil: null });
    }
    expect(await queue.get(c.id)).toMatchObject({ status: 'running', leaseOwner: 'staying' });
    expect((await queue.claim({ owner: 'next', limit: 10, leaseMs: LEASE })).map((j) => j.id)).toEqual([a.id, b.id]);
  });

  it('stats, get, retryDead and purgeDoneBefore', async () => {
    const a = await queue.enqueue(t.db, job());
    const b = await queue.enqueue(t.db, job({ maxAttempts: 1 }));
    await queue.enqueue(t.db, job());
    await queue.claim({ owner: 'w', limit: 2, leaseMs: LEASE });
    await queue.complete(a.id, 'w');
    await queue.fail(b.id, 'w', 'fatal');
    expect(await queue.stats()).toEqual({ queued: 1, running: 0, done: 1, dead: 1 });
    expect(await queue.get('not-a-uuid')).toBeNull();
    expect(await queue.get('00000000-0000-4000-8000-000000000000')).toBeNull();

    expect(await queue.retryDead(a.id)).toBeNull();
    expect(await queue.retryDead(b.id)).toMatchObject({ status: 'queued', attempts: 0, finishedAt: null });
    expect(await queue.purgeDoneBefore(new Date(Date.now() + 60_000))).toBe(1);
    expect(await queue.get(a.id)).toBeNull();
  });

  it('rejects nonsense arguments with a coded error', async () => {
    await expect(queue.claim({ owner: 'w', limit: 0, leaseMs: LEASE })).rejects.toMatchObject({
      code: 'dingtalk_persistence_invalid_argument',
    });
    await expect(queue.enqueue(t.db, job({ maxAttempts: 0 }))).rejects.toMatchObject({ code: 'dingtalk_persistence_invalid_argument' });
  });
});
