import { HandoffArrival1732000000013, HandoffRepository } from '../../../src/persistence';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';

// 0013 on a queue that already holds jobs: the open ones keep their order among themselves and come
// before anything that arrives after the upgrade; finished ones are left as they were.

describe('migration 0013 (arrival order) on existing jobs', () => {
  let t: TestDatabase;
  const migration = new HandoffArrival1732000000013();
  const run = (step: 'up' | 'down') => t.dataSource.transaction((manager) => migration[step](manager.queryRunner!));

  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(() => t?.close());

  it('gives open jobs their creation time, leaves finished ones without one, and later arrivals queue behind', async () => {
    await resetTables(t.db);
    await run('down');
    try {
      const insert = (status: string, createdAt: string) =>
        t.db.query<{ id: string }>(
          `INSERT INTO plugin_dingtalk_handoff (kind, integration_id, session_key, payload, status, created_at, run_at, finished_at)
           VALUES ('message', 'int-1', 'S', '{}', $1, $2::timestamptz, $2::timestamptz, CASE WHEN $1 = 'done' THEN $2::timestamptz END) RETURNING id`,
          [status, createdAt],
        );
      const [done] = await insert('done', '2026-01-01T09:00:00Z');
      const [open1] = await insert('queued', '2026-01-01T10:00:00Z');
      const [open2] = await insert('queued', '2026-01-01T10:00:05Z');
      await run('up');

      const queue = new HandoffRepository(t.db);
      expect((await queue.get(done.id))!.arrivedAt).toBeNull();
      expect((await queue.get(open1.id))!.arrivedAt).toEqual(new Date('2026-01-01T10:00:00Z'));
      expect((await queue.get(open2.id))!.arrivedAt).toEqual(new Date('2026-01-01T10:00:05Z'));
      const after = await queue.enqueue(t.db, { kind: 'message', integrationId: 'int-1', sessionKey: 'S', payload: {} });
      expect(after.arrivedAt!.getTime()).toBeGreaterThan(new Date('2026-01-01T10:00:05Z').getTime());

      const owner = 'w1';
      expect((await queue.claim({ owner, limit: 10, leaseMs: 30_000 })).map((j) => j.id)).toEqual([open1.id]);
      expect((await queue.completeAndClaimNext(open1.id, owner, 30_000)).next?.id).toBe(open2.id);
      expect((await queue.completeAndClaimNext(open2.id, owner, 30_000)).next?.id).toBe(after.id);
    } finally {
      await resetTables(t.db);
    }
  });
});
