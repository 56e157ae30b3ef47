import { HandoffRepository, InboxRepository, type NewHandoffJob } from '../../../src/persistence';
import { type TestDatabase, useFreshTables } from '../../support/database';

// A session's jobs run in the order their events reached a replica (arrived_at, 0013), not in the
// order they were inserted: an event drained late from one replica's spool still comes first.

const LEASE = 30_000;
const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function job(overrides: Partial<NewHandoffJob> = {}): NewHandoffJob {
  return { kind: 'message', integrationId: 'int-1', sessionKey: 'S', payload: {}, ...overrides };
}

describe('handoff arrival order', () => {
  let t: TestDatabase;
  let now: Date;
  let queue: HandoffRepository;

  useFreshTables((database) => {
    t = database;
    queue = new HandoffRepository(t.db, () => now);
  });
  beforeEach(() => {
    now = at(10_000);
  });

  it('an event inserted later but arrived earlier runs first, and the later one follows it', async () => {
    const second = await queue.enqueue(t.db, job({ arrivedAt: at(2_000) }));
    const first = await queue.enqueue(t.db, job({ arrivedAt: at(1_000) }));
    expect(first.seq).toBeGreaterThan(second.seq);
    expect(first.arrivedAt).toEqual(at(1_000));

    expect((await queue.claim({ owner: 'w1', limit: 10, leaseMs: LEASE })).map((j) => j.id)).toEqual([first.id]);
    const { completed, next } = await queue.completeAndClaimNext(first.id, 'w1', LEASE);
    expect(completed).toBe(true);
    expect(next?.id).toBe(second.id);
  });

  it('an earlier arrival that is not due yet holds the later one back until it has run', async () => {
    const held = await queue.enqueue(t.db, job({ arrivedAt: at(1_000), runAt: at(13_000) }));
    const later = await queue.enqueue(t.db, job({ arrivedAt: at(2_000) }));
    const other = await queue.enqueue(t.db, job({ sessionKey: 'T', arrivedAt: at(2_500) }));
    // Other sessions are not held.
    expect((await queue.claim({ owner: 'w1', limit: 10, leaseMs: LEASE })).map((j) => j.id)).toEqual([other.id]);

    now = at(13_000);
    expect((await queue.claim({ owner: 'w1', limit: 10, leaseMs: LEASE })).map((j) => j.id)).toEqual([held.id]);
    expect((await queue.completeAndClaimNext(held.id, 'w1', LEASE)).next?.id).toBe(later.id);
  });

  it('without an arrival time a job arrives when it is inserted, and equal arrivals keep insert order', async () => {
    const a = await queue.enqueue(t.db, job());
    const b = await queue.enqueue(t.db, job());
    expect(a.arrivedAt).toEqual(now);
    expect(b.arrivedAt).toEqual(now);
    expect((await queue.claim({ owner: 'w1', limit: 10, leaseMs: LEASE })).map((j) => j.id)).toEqual([a.id]);
    expect((await queue.completeAndClaimNext(a.id, 'w1', LEASE)).next?.id).toBe(b.id);
  });

  it('every inbox path stores the arrival time intake gave the job', async () => {
    const inbox = new InboxRepository(t.db, () => now);
    const input = (eventId: string, arrivedAt: Date) => ({ integrationId: 'int-1', eventId, kind: 'message', job: { kind: 'message', sessionKey: 'S', payload: {}, arrivedAt } });
    const one = await inbox.acceptAtomic(t.db, input('e1', at(3_000)));
    const grouped = await Promise.all([inbox.acceptGrouped(t.db, input('e2', at(2_000))), inbox.acceptGrouped(t.db, input('e3', at(1_000)))]);
    const inTx = await t.db.tx((q) => inbox.accept(q, input('e4', at(500))));
    const arrivals = await Promise.all([one, ...grouped, inTx].map(async (r) => (await queue.get(r.jobId!))!.arrivedAt));
    expect(arrivals).toEqual([at(3_000), at(2_000), at(1_000), at(500)]);
    // Claimed by arrival: the event of the transaction arrived first, though inserted last.
    expect((await queue.claim({ owner: 'w1', limit: 10, leaseMs: LEASE })).map((j) => j.id)).toEqual([inTx.jobId]);
  });
});
