import { RunCancellations } from '../../../src/conversation/run-cancellations';
import { StopBroadcast, type StopListenerFactory } from '../../../src/conversation/stop-broadcast.service';
import { parsePluginConfig } from '../../../src/config/plugin-config';
import type { PluginDatabase } from '../../../src/core/plugin-database.service';
import { insertHandoffJob, RunStopRepository, TABLES, type ChannelListenerOptions } from '../../../src/persistence';
import { openTestDatabase, resetTables, usingServer, type TestDatabase } from '../../support/database';
import { waitFor } from '../../support/wait-for';

// What a replica does with stops: its own runs by session, and the runs whose job a stop was
// recorded for (the path that does not depend on having heard the notification).

describe('run cancellations', () => {
  it('aborts a run once: a stop repeated (or echoed back by the notification) is not counted again', () => {
    const runs = new RunCancellations();
    const run = runs.register('s1', 'job-1');
    expect(runs.cancel('s1')).toBe(1);
    expect(runs.cancel('s1')).toBe(0);
    expect(run.signal.aborted).toBe(true);
    expect(runs.stoppedCount()).toBe(1);
    run.release();
    expect(runs.isRunning('s1')).toBe(false);
  });

  it('aborts by job only the runs of those jobs, and lists the jobs still running', () => {
    const runs = new RunCancellations();
    const a = runs.register('s1', 'job-a');
    const b = runs.register('s2', 'job-b');
    const unnamed = runs.register('s3');
    expect(runs.runningJobs().sort()).toEqual(['job-a', 'job-b']);
    expect(runs.cancelJobs(['job-b', 'job-gone'])).toBe(1);
    expect([a.signal.aborted, b.signal.aborted, unnamed.signal.aborted]).toEqual([false, true, false]);
    expect(runs.runningJobs()).toEqual(['job-a']);
    expect(runs.cancelJobs(['job-b'])).toBe(0);
  });
});

describe(`stop broadcast (${usingServer ? 'PostgreSQL server' : 'PGlite'})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(() => t?.close());
  beforeEach(() => resetTables(t.db));

  /** The service over the test database, with a listener that only records how it was made. */
  function broadcast(leaseMs = 120_000) {
    const cancellations = new RunCancellations();
    const database = { open: async () => t.db, ready: true, db: t.db } as unknown as PluginDatabase;
    let listener: ChannelListenerOptions | undefined;
    const factory: StopListenerFactory = (options) => {
      listener = options;
      return { start: () => undefined, close: async () => undefined };
    };
    const service = new StopBroadcast(database, cancellations, parsePluginConfig({ worker: { leaseMs } }), factory);
    service.onApplicationBootstrap();
    return { service, cancellations, listener: () => listener! };
  }

  async function runningJob(sessionKey: string): Promise<string> {
    const job = await insertHandoffJob(t.db, { kind: 'message', integrationId: 'i1', sessionKey, payload: {} });
    await t.db.query(`UPDATE ${TABLES.handoff} SET status = 'running' WHERE id = $1::uuid`, [job.id]);
    return job.id;
  }

  (usingServer ? it : it.skip)('back from a reconnect, the listener’s cue aborts a run whose stop was announced while nobody listened', async () => {
    // A long lease: the periodic look is 5 s away, so only the cue can be what stops the run here.
    const { service, cancellations, listener } = broadcast();
    try {
      const jobId = await runningJob('i1:c1:u1');
      const run = cancellations.register('i1:c1:u1', jobId);
      const other = cancellations.register('i1:c2:u2', await runningJob('i1:c2:u2'));
      expect(await new RunStopRepository(t.db).request('i1:c1:u1')).toBe(1);
      expect(run.signal.aborted).toBe(false);
      listener().onListening!();
      await waitFor(() => run.signal.aborted, 'the run to be aborted');
      expect(other.signal.aborted).toBe(false);
    } finally {
      await service.onModuleDestroy();
    }
  });

  it('a notification aborts the session’s runs here', async () => {
    const { service, cancellations, listener } = broadcast();
    try {
      const run = cancellations.register('i1:c1:u1', 'not-a-job');
      listener().onMessage('i1:c1:u1');
      expect(run.signal.aborted).toBe(true);
    } finally {
      await service.onModuleDestroy();
    }
  });

  it('a stop received here aborts the run here; on the embedded database nothing is recorded', async () => {
    const { service, cancellations } = broadcast();
    try {
      const jobId = await runningJob('i1:c1:u1');
      const run = cancellations.register('i1:c1:u1', jobId);
      await service.stop('i1:c1:u1');
      expect(run.signal.aborted).toBe(true);
      const marks = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${TABLES.runStop}`);
      expect(marks[0].n).toBe(usingServer ? 1 : 0);
    } finally {
      await service.onModuleDestroy();
    }
  });
});
