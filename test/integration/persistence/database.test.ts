import { createPluginDataSource, Database, FifoMutex } from '../../../src/persistence';
import { deferred, openTestDatabase, resetTables, type TestDatabase } from '../../support/database';

describe('FifoMutex', () => {
  it('runs tasks one at a time in call order, and a failure does not break the chain', async () => {
    const mutex = new FifoMutex();
    const log: string[] = [];
    const gate = deferred();
    const first = mutex.run(async () => {
      log.push('1 start');
      await gate.promise;
      log.push('1 end');
    });
    const second = mutex.run(async () => {
      log.push('2');
      throw new Error('2 failed');
    });
    const third = mutex.run(async () => log.push('3'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['1 start']);
    expect(mutex.pending).toBe(3);
    gate.resolve();
    await first;
    await expect(second).rejects.toThrow('2 failed');
    await third;
    expect(log).toEqual(['1 start', '1 end', '2', '3']);
    expect(mutex.pending).toBe(0);
  });
});

describe('Database', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
  });

  const insert = `INSERT INTO plugin_dingtalk_inbox (integration_id, event_id, kind) VALUES ('i', $1, 'message')`;
  const countRows = async () => Number((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM plugin_dingtalk_inbox'))[0].n);

  it('tx commits and returns the callback result', async () => {
    const result = await t.db.tx(async (q) => {
      await q.query(insert, ['e1']);
      return (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM plugin_dingtalk_inbox'))[0].n;
    });
    expect(Number(result)).toBe(1);
    expect(await countRows()).toBe(1);
  });

  it('tx rolls back and rethrows the original error, also when a statement fails', async () => {
    const boom = new Error('boom');
    await expect(
      t.db.tx(async (q) => {
        await q.query(insert, ['e1']);
        throw boom;
      }),
    ).rejects.toBe(boom);
    await expect(
      t.db.tx(async (q) => {
        await q.query(insert, ['e2']);
        await q.query(insert, ['e2']); // unique violation
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await countRows()).toBe(0);
    // The connection is usable afterwards.
    await t.db.tx((q) => q.query(insert, ['e3']));
    expect(await countRows()).toBe(1);
  });

  it('UPDATE and DELETE return their RETURNING rows like SELECT does', async () => {
    await t.db.query(insert, ['e1']);
    expect(await t.db.query(`UPDATE plugin_dingtalk_inbox SET kind = 'x' RETURNING kind`)).toEqual([{ kind: 'x' }]);
    expect(await t.db.query(`DELETE FROM plugin_dingtalk_inbox RETURNING kind`)).toEqual([{ kind: 'x' }]);
    expect(await t.db.query(`DELETE FROM plugin_dingtalk_inbox`)).toEqual([]);
  });

  it('rejects db.query and db.tx inside a transaction (would deadlock on PGlite), in every mode', async () => {
    await expect(t.db.tx(() => t.db.query('SELECT 1'))).rejects.toMatchObject({ code: 'dingtalk_database_nested_call' });
    await expect(t.db.tx(() => t.db.tx(async () => 1))).rejects.toMatchObject({ code: 'dingtalk_database_nested_call' });
  });

  it('rejects a statement sent through q after its transaction ended', async () => {
    let leaked: { query: (sql: string) => Promise<unknown[]> } | undefined;
    await t.db.tx(async (q) => {
      leaked = q;
    });
    await expect(leaked!.query('SELECT 1')).rejects.toMatchObject({ code: 'dingtalk_database_nested_call' });
  });

  it('serial mode (PGlite) admits nothing while a transaction is open; pool mode runs alongside it', async () => {
    const inside = deferred();
    const release = deferred();
    const order: string[] = [];
    const tx = t.db.tx(async (q) => {
      await q.query(insert, ['e1']);
      inside.resolve();
      await release.promise;
      // One more round trip after the outside query was submitted: were it let through, the
      // embedded database would answer it first.
      await q.query('SELECT 1');
      order.push('commit');
    });
    await inside.promise;
    const outside = t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM plugin_dingtalk_inbox').then((rows) => {
      order.push('query');
      return Number(rows[0].n);
    });
    if (t.db.serial) {
      release.resolve();
      await tx;
      expect(await outside).toBe(1);
      expect(order).toEqual(['commit', 'query']);
    } else {
      // Another connection answers while the transaction is still open (it waits on `release`).
      expect(await outside).toBe(0); // the uncommitted row is invisible to another connection
      release.resolve();
      await tx;
      expect(order).toEqual(['query', 'commit']);
    }
  });

  it('close waits for work in flight, then refuses new work; it never closes a shared PGlite', async () => {
    // A second plugin DataSource on the same host settings (on PGlite: the same embedded instance).
    const other = await Database.open(createPluginDataSource({ hostOptions: t.hostOptions }));
    expect(other.serial).toBe(t.db.serial);
    const inside = deferred();
    const release = deferred();
    let closed = false;
    const slow = other.tx(async (q) => {
      inside.resolve();
      await release.promise;
      const rows = await q.query<{ one: number }>('SELECT 1 AS one');
      return { rows, closedMeanwhile: closed };
    });
    await inside.promise;
    const closing = other.close().then(() => {
      closed = true;
    });
    release.resolve();
    expect(await slow).toEqual({ rows: [{ one: 1 }], closedMeanwhile: false });
    await closing;
    expect(other.isClosed).toBe(true);
    await expect(other.query('SELECT 1')).rejects.toMatchObject({ code: 'dingtalk_database_closed' });
    // The test database (the host's instance, on PGlite) is still alive.
    expect(await t.db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
