import { QueueMaintenance } from '../../../src/handoff/queue-maintenance';
import {
  HandoffRepository,
  InboxRepository,
  MAINTENANCE_LOCK_KEY,
  QueueLifecycleRepository,
  silentLogger,
  TABLES,
  type InboxAcceptInput,
} from '../../../src/persistence';
import { deferred, type TestDatabase, useFreshTables, usingServer } from '../../support/database';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-01-01T00:00:00Z');

function event(eventId: string, integrationId = 'int-1'): InboxAcceptInput {
  return { integrationId, eventId, kind: 'message', job: { kind: 'message', sessionKey: null, payload: { text: 'hello' }, maxAttempts: 1 } };
}

async function rows(t: TestDatabase, sql: string): Promise<number> {
  const result = await t.db.query<{ n: number }>(sql);
  return Number(result[0].n);
}

describe('queue housekeeping', () => {
  let t: TestDatabase;
  useFreshTables((database) => {
    t = database;
  });

  it('after a simulated month of traffic keeps only the rows within retention (and every dead letter)', async () => {
    let now = START;
    const clock = () => new Date(now);
    const inbox = new InboxRepository(t.db, clock);
    const queue = new HandoffRepository(t.db, clock);
    const maintenance = new QueueMaintenance({
      repository: new QueueLifecycleRepository(t.db, clock),
      inboxRetentionDays: 7,
      doneRetentionHours: 48,
      intervalMs: 0,
      now: clock,
      logger: silentLogger,
    });
    const events: Array<{ at: number; dead: boolean }> = [];
    let purged = 0;
    for (let day = 0; day < 30; day += 1) {
      for (let slot = 0; slot < 6; slot += 1) {
        now = START + day * DAY + slot * 4 * HOUR;
        const n = events.length;
        await inbox.acceptAtomic(t.db, event(`evt-${n}`));
        const [job] = await queue.claim({ owner: 'w', limit: 1, leaseMs: HOUR });
        // Every seventh job fails for good: dead letters stay until an operator acts.
        const dead = n % 7 === 3;
        if (dead) await queue.fail(job.id, 'w', 'dingtalk_permission_missing: grant it', { dead: true });
        else expect(await queue.complete(job.id, 'w')).toBe(true);
        events.push({ at: now, dead });
      }
      now = START + day * DAY + 23 * HOUR;
      const round = await maintenance.runOnce();
      expect(round.ran).toBe(true);
      purged += round.inboxPurged;
    }

    const inboxKept = events.filter((e) => e.at >= now - 7 * DAY).length;
    const doneKept = events.filter((e) => !e.dead && e.at >= now - 48 * HOUR).length;
    const deadKept = events.filter((e) => e.dead).length;
    expect(await rows(t, `SELECT count(*)::int AS n FROM ${TABLES.inbox}`)).toBe(inboxKept);
    expect(inboxKept).toBe(7 * 6);
    expect(purged).toBe(events.length - inboxKept);
    expect(await rows(t, `SELECT count(*)::int AS n FROM ${TABLES.handoff} WHERE status = 'done'`)).toBe(doneKept);
    expect(await rows(t, `SELECT count(*)::int AS n FROM ${TABLES.handoff} WHERE status = 'dead'`)).toBe(deadKept);
    const cutoff = new Date(now - 7 * DAY);
    expect(await rows(t, `SELECT count(*)::int AS n FROM ${TABLES.inbox} WHERE received_at < '${cutoff.toISOString()}'`)).toBe(0);
    expect(maintenance.stats.totals).toMatchObject({ rounds: 30, inboxPurged: purged });
  });

  it('takes back a job whose lease expired (a crashed worker) in the same round', async () => {
    let now = START;
    const clock = () => new Date(now);
    const queue = new HandoffRepository(t.db, clock);
    const job = await queue.enqueue(t.db, { kind: 'message', integrationId: 'int-1', payload: {}, maxAttempts: 3 });
    await queue.claim({ owner: 'crashed', limit: 1, leaseMs: HOUR });
    const lifecycle = new QueueLifecycleRepository(t.db, clock);
    const cutoffs = { inboxBefore: new Date(now - DAY), doneBefore: new Date(now - DAY) };
    expect(await lifecycle.sweep(cutoffs)).toMatchObject({ ran: true, leasesReclaimed: 0 });
    now += 2 * HOUR;
    expect(await lifecycle.sweep(cutoffs)).toMatchObject({ ran: true, leasesReclaimed: 1 });
    expect(await queue.get(job.id)).toMatchObject({ status: 'queued', leaseOwner: null });
  });

  it('forgets stop marks as old as the done jobs it purges', async () => {
    const lifecycle = new QueueLifecycleRepository(t.db);
    const old = '00000000-0000-4000-8000-000000000001';
    const fresh = '00000000-0000-4000-8000-000000000002';
    await t.db.query(
      `INSERT INTO ${TABLES.runStop} (job_id, session_key, requested_at) VALUES ($1::uuid, 'i:c:u', $3::timestamptz - interval '3 days'), ($2::uuid, 'i:c:u', $3::timestamptz)`,
      [old, fresh, new Date(START)],
    );
    await lifecycle.sweep({ inboxBefore: new Date(START - DAY), doneBefore: new Date(START - DAY) });
    const left = await t.db.query<{ job_id: string }>(`SELECT job_id FROM ${TABLES.runStop}`);
    expect(left.map((row) => String(row.job_id))).toEqual([fresh]);
  });

  // PGlite has one connection, so a second transaction cannot run beside the one holding the lock.
  (usingServer ? it : it.skip)('lets one replica at a time sweep (the advisory lock; server only)', async () => {
    const holding = deferred();
    const release = deferred();
    const other = t.db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1::bigint)', [MAINTENANCE_LOCK_KEY]);
      holding.resolve();
      await release.promise;
    });
    await holding.promise;
    const lifecycle = new QueueLifecycleRepository(t.db);
    const cutoffs = { inboxBefore: new Date(0), doneBefore: new Date(0) };
    expect(await lifecycle.sweep(cutoffs)).toEqual({ ran: false, inboxPurged: 0, donePurged: 0, leasesReclaimed: 0 });
    release.resolve();
    await other;
    expect((await lifecycle.sweep(cutoffs)).ran).toBe(true);
  });
});
