import { OutboxRepository, type OutboxReserveInput } from '../../../src/persistence';
import { openTestDatabase, resetTables, usingServer, type TestDatabase } from '../../support/database';

function send(key: string, overrides: Partial<OutboxReserveInput> = {}): OutboxReserveInput {
  return {
    idempotencyKey: key,
    integrationId: 'int-1',
    targetType: 'group',
    targetId: 'cid-1',
    messageKind: 'markdown',
    request: { title: 't', text: 'hello' },
    ...overrides,
  };
}

describe('OutboxRepository', () => {
  let t: TestDatabase;
  let outbox: OutboxRepository;

  beforeAll(async () => {
    t = await openTestDatabase();
    outbox = new OutboxRepository(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
  });

  it('reserve is idempotent: a retried send gets the stored row and its result (P15)', async () => {
    const first = await outbox.reserve(t.db, send('job-1:0'));
    expect(first.created).toBe(true);
    expect(first.row).toMatchObject({ status: 'pending', request: { title: 't', text: 'hello' }, result: null });

    await outbox.markSent(first.row.id, { processQueryKey: 'pqk-1', result: { processQueryKey: 'pqk-1' } });
    const retry = await outbox.reserve(t.db, send('job-1:0', { request: { text: 'changed' } }));
    expect(retry.created).toBe(false);
    expect(retry.row).toMatchObject({ id: first.row.id, status: 'sent', result: { processQueryKey: 'pqk-1' }, request: first.row.request });
    const rows = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM plugin_dingtalk_outbox');
    expect(Number(rows[0].n)).toBe(1);
  });

  it('reserve works inside a transaction and rolls back with it', async () => {
    await expect(
      t.db.tx(async (q) => {
        expect((await outbox.reserve(q, send('k'))).created).toBe(true);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await outbox.findByKey('k')).toBeNull();
  });

  it('markFailed, markRecalled and lookups by id, processQueryKey, outTrackId or key', async () => {
    const { row: message } = await outbox.reserve(t.db, send('a'));
    const { row: card } = await outbox.reserve(t.db, send('b', { targetType: 'card', messageKind: 'card' }));
    const { row: broken } = await outbox.reserve(t.db, send('c'));

    await outbox.markSent(message.id, { processQueryKey: 'pqk-a', result: { ok: true } });
    await outbox.markSent(card.id, { outTrackId: 'track-b', result: {} });
    const failed = await outbox.markFailed(broken.id, new Error('403 forbidden'));
    expect(failed).toMatchObject({ status: 'failed', error: 'Error: 403 forbidden' });

    expect((await outbox.findByMessageId('int-1', message.id))?.id).toBe(message.id);
    expect((await outbox.findByMessageId('int-1', 'pqk-a'))?.id).toBe(message.id);
    expect((await outbox.findByMessageId('int-1', 'track-b'))?.id).toBe(card.id);
    expect((await outbox.findByMessageId('int-1', 'c'))?.id).toBe(broken.id);
    expect(await outbox.findByMessageId('int-2', 'pqk-a')).toBeNull();
    expect(await outbox.findByMessageId('int-1', 'nothing')).toBeNull();

    const recalled = await outbox.markRecalled(message.id);
    expect(recalled).toMatchObject({ status: 'recalled', processQueryKey: 'pqk-a' });
    expect(recalled!.recalledAt).not.toBeNull();
    expect(await outbox.markRecalled('not-a-uuid')).toBeNull();
  });

  it('rejects an unknown target type', async () => {
    await expect(outbox.reserve(t.db, send('x', { targetType: 'fax' as never }))).rejects.toMatchObject({
      code: 'dingtalk_persistence_invalid_argument',
    });
  });

  // PGlite serves one connection: concurrent reservations only race on the server.
  (usingServer ? it : it.skip)('concurrent reserves of one key create one row; the others get it back', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => t.db.tx((q) => outbox.reserve(q, send('race')))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.row.id)).size).toBe(1);
  });
});
