import { Client } from 'pg';
import { ChannelListener, insertHandoffJob, RunStopRepository, STOP_CHANNEL, TABLES } from '../../../src/persistence';
import { databaseUrl, openTestDatabase, resetTables, usingServer, type TestDatabase } from '../../support/database';
import { waitFor } from '../../support/wait-for';

// The two halves of a stop across replicas: the mark plus its notification (one transaction), and
// the listener that hears it and comes back after its connection broke.

/** Every line the listener logs, by level. */
function capture() {
  const lines = { debug: [] as string[], log: [] as string[], warn: [] as string[], error: [] as string[] };
  const logger = {
    debug: (m: string) => void lines.debug.push(m),
    log: (m: string) => void lines.log.push(m),
    warn: (m: string) => void lines.warn.push(m),
    error: (m: string) => void lines.error.push(m),
  };
  return { lines, logger };
}

/** Reconnect timers the test fires by hand, so "while the listener is away" is a state, not a race. */
function manualTimers() {
  const pending: Array<() => void> = [];
  return {
    pending,
    schedule: (fn: () => void) => {
      pending.push(fn);
      return () => {
        const at = pending.indexOf(fn);
        if (at >= 0) pending.splice(at, 1);
      };
    },
    fire: () => pending.shift()!(),
  };
}

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(() => t?.close());
beforeEach(() => resetTables(t.db));

(usingServer ? it : it.skip)('a stop marks only the session’s running jobs and is announced only when it marked one (PostgreSQL server)', async () => {
  const heard: string[] = [];
  const listener = new Client({ connectionString: (t.hostOptions as { url: string }).url });
  await listener.connect();
  try {
    listener.on('notification', (message) => heard.push(`${message.channel}:${message.payload}`));
    await listener.query(`LISTEN ${STOP_CHANNEL}`);
    const running = await insertHandoffJob(t.db, { kind: 'message', integrationId: 'i1', sessionKey: 'i1:c1:u1', payload: {} });
    const queued = await insertHandoffJob(t.db, { kind: 'message', integrationId: 'i1', sessionKey: 'i1:c1:u1', payload: {} });
    const elsewhere = await insertHandoffJob(t.db, { kind: 'message', integrationId: 'i1', sessionKey: 'i1:c2:u2', payload: {} });
    await t.db.query(`UPDATE ${TABLES.handoff} SET status = 'running' WHERE id = ANY($1::uuid[])`, [[running.id, elsewhere.id]]);
    const stops = new RunStopRepository(t.db);

    expect(await stops.request('i1:c9:nobody')).toBe(0);
    expect(await stops.request('i1:c1:u1')).toBe(1);
    // Asked again: the same mark, announced again (harmless: an aborted run is not aborted twice).
    expect(await stops.request('i1:c1:u1')).toBe(1);
    await waitFor(() => heard.length === 2, 'both announcements');
    expect(heard).toEqual([`${STOP_CHANNEL}:i1:c1:u1`, `${STOP_CHANNEL}:i1:c1:u1`]);
    expect(await stops.stoppedAmong([running.id, queued.id, elsewhere.id, 'not-a-uuid'])).toEqual([running.id]);
  } finally {
    await listener.end();
  }
});

(usingServer ? it : it.skip)('the listener survives a lost connection: one warn, quiet attempts, one line when back, and the cue to look up what was announced meanwhile (PostgreSQL server)', async () => {
  const url = (t.hostOptions as { url: string }).url;
  const name = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: databaseUrl });
  const notifier = new Client({ connectionString: url });
  await admin.connect();
  await notifier.connect();
  const { lines, logger } = capture();
  const timers = manualTimers();
  const heard: string[] = [];
  let listened = 0;
  const listener = new ChannelListener({
    database: async () => t.db,
    channel: STOP_CHANNEL,
    onMessage: (payload) => heard.push(payload),
    onListening: () => (listened += 1),
    logger,
    schedule: timers.schedule,
  });
  const notify = (payload: string) => notifier.query('SELECT pg_notify($1, $2)', [STOP_CHANNEL, payload]);
  const listenerBackends = async () =>
    Number((await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query = $2`, [name, `LISTEN ${STOP_CHANNEL}`])).rows[0].n);
  try {
    listener.start();
    await waitFor(() => listener.state === 'listening', 'the listener to listen');
    expect(listened).toBe(1);
    await notify('before');
    await waitFor(() => heard.includes('before'), 'the first notification');

    // The database "restarts": every session but the notifier's is cut, and nobody gets back in.
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2`, [name, (notifier as unknown as { processID: number }).processID]);
    await waitFor(() => listener.state === 'reconnecting' && timers.pending.length === 1, 'the listener to notice');
    for (let attempt = 1; attempt <= 3; attempt++) {
      timers.fire();
      await waitFor(() => listener.state === 'reconnecting' && timers.pending.length === 1, `reconnect attempt ${attempt} to fail`);
    }
    await notify('missed');

    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    timers.fire();
    await waitFor(() => listener.state === 'listening', 'the listener to listen again');
    // What was announced in the gap is gone for good; onListening is the cue to look it up.
    expect(listened).toBe(2);
    await notify('after');
    await waitFor(() => heard.includes('after'), 'a notification after the reconnect');
    expect(heard).toEqual(['before', 'after']);

    expect(lines.warn).toHaveLength(1);
    expect(lines.warn[0]).toContain('code=dingtalk_database_unavailable');
    expect(lines.debug.filter((line) => line.includes('reconnect attempt'))).toHaveLength(3);
    expect(lines.log).toEqual([`channel ${STOP_CHANNEL}: listening again after 4 failure(s)`]);
    expect(lines.error).toEqual([]);

    // Closing gives the connection back (the pool could not end otherwise) and stops reconnecting.
    await listener.close();
    expect(listener.state).toBe('closed');
    await waitFor(async () => (await listenerBackends()) === 0, 'the listening session to end');
  } finally {
    await listener.close();
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await notifier.end().catch(() => undefined);
    await admin.end();
  }
});

it('closing while reconnecting cancels the next attempt', async () => {
  const timers = manualTimers();
  let opens = 0;
  const listener = new ChannelListener({
    database: async () => {
      opens += 1;
      throw new Error('connection refused');
    },
    channel: STOP_CHANNEL,
    onMessage: () => undefined,
    schedule: timers.schedule,
  });
  listener.start();
  await waitFor(() => timers.pending.length === 1, 'the first failure');
  await listener.close();
  expect(timers.pending).toHaveLength(0);
  expect(opens).toBe(1);
});

// PGlite only: on a server the listener really listens, which the tests above cover.
(usingServer ? it.skip : it)('on the embedded database (one process) there is nothing to listen for', async () => {
  const { lines, logger } = capture();
  let listened = 0;
  const listener = new ChannelListener({ database: async () => t.db, channel: STOP_CHANNEL, onMessage: () => undefined, onListening: () => (listened += 1), logger });
  listener.start();
  await waitFor(() => listener.state === 'local', 'the listener to settle');
  await listener.close();
  expect(listened).toBe(0);
  expect([...lines.warn, ...lines.error]).toEqual([]);
});
