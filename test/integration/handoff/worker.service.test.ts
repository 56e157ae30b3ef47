import { Logger } from '@nestjs/common';
import { parsePluginConfig } from '../../../src/config/plugin-config';
import type { PluginDatabase } from '../../../src/core/plugin-database.service';
import { WorkerService } from '../../../src/handoff/worker.service';
import { HandoffRepository, type Database } from '../../../src/persistence';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';
import { gatedHandler, newJob, row } from './worker-fixtures';

/** Stands in for PluginDatabase: `open()` answers from a script of results, then the real db. */
function databaseStub(db: Database, failures: Error[] = []) {
  const stub = {
    calls: 0,
    async open(): Promise<Database> {
      stub.calls += 1;
      const failure = failures.shift();
      if (failure) throw failure;
      return db;
    },
  };
  return stub;
}

describe('WorkerService (Nest wrapper)', () => {
  let t: TestDatabase;
  let queue: HandoffRepository;

  beforeAll(async () => {
    // Nest's static logger would print every line of these tests.
    Logger.overrideLogger(false);
    t = await openTestDatabase();
    queue = new HandoffRepository(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
  });

  it('starts the worker once the database is open, runs jobs on notify(), and stops on destroy', async () => {
    const gated = gatedHandler();
    const database = databaseStub(t.db);
    // An hour-long poll interval: only notify() can make the job start during this test.
    const config = parsePluginConfig({ worker: { pollIntervalMs: 60_000, concurrency: 2 } });
    const service = new WorkerService(database as unknown as PluginDatabase, config, [gated.handler]);

    await service.onApplicationBootstrap();
    expect(service.stats()).toMatchObject({ state: 'running', concurrency: 2 });

    const job = await queue.enqueue(t.db, newJob());
    service.notify();
    await gated.started(job.id);
    gated.release(job.id);
    await service.onModuleDestroy();

    expect(service.stats()?.state).toBe('stopped');
    expect(await row(t.db, job.id)).toMatchObject({ status: 'done' });
  });

  it('does nothing when the worker is disabled, and tolerates missing handlers', async () => {
    const database = databaseStub(t.db);
    const service = new WorkerService(database as unknown as PluginDatabase, parsePluginConfig({ worker: { enabled: false } }), null);
    await service.onApplicationBootstrap();
    expect(database.calls).toBe(0);
    expect(service.stats()).toBeUndefined();
    service.notify();
    await service.onModuleDestroy();
  });

  it('keeps trying to open the database in the background instead of failing the boot', async () => {
    const gated = gatedHandler();
    const database = databaseStub(t.db, [new Error('connect ECONNREFUSED'), new Error('connect ECONNREFUSED')]);
    const config = parsePluginConfig({ worker: { pollIntervalMs: 10 } });
    const service = new WorkerService(database as unknown as PluginDatabase, config, [gated.handler]);
    const job = await queue.enqueue(t.db, newJob());

    await service.onApplicationBootstrap(); // resolves although the database is down
    expect(service.stats()).toBeUndefined();
    // The job running proves the worker came up on a later attempt.
    await gated.started(job.id);
    expect(database.calls).toBe(3);
    expect(service.stats()?.state).toBe('running');
    gated.release(job.id);
    await service.onModuleDestroy();
    expect(await row(t.db, job.id)).toMatchObject({ status: 'done' });
  });

  it('stops retrying once destroyed', async () => {
    const database = databaseStub(t.db, [new Error('connect ECONNREFUSED')]);
    const service = new WorkerService(database as unknown as PluginDatabase, parsePluginConfig({ worker: { pollIntervalMs: 10 } }), []);
    await service.onApplicationBootstrap();
    await service.onModuleDestroy();
    expect(database.calls).toBe(1);
    expect(service.stats()).toBeUndefined();
  });
});
