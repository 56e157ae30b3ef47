import { HandoffRepository, InboxRepository, type InboxAcceptInput } from '../../../src/persistence';
import { openTestDatabase, resetTables, usingServer, type TestDatabase } from '../../support/database';

function event(eventId: string, overrides: Partial<InboxAcceptInput> = {}): InboxAcceptInput {
  return {
    integrationId: 'int-1',
    eventId,
    kind: 'message',
    conversationId: 'cid-1',
    senderId: 'staff-1',
    job: { kind: 'message', sessionKey: 'int-1:cid-1:staff-1', payload: { text: 'hello' } },
    ...overrides,
  };
}

async function count(t: TestDatabase, table: string): Promise<number> {
  const rows = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return Number(rows[0].n);
}

describe('InboxRepository', () => {
  let t: TestDatabase;
  let inbox: InboxRepository;
  let queue: HandoffRepository;

  beforeAll(async () => {
    t = await openTestDatabase();
    inbox = new InboxRepository(t.db);
    queue = new HandoffRepository(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
  });

  it('accepts a new event: one inbox row and one queued job carrying the payload', async () => {
    const result = await t.db.tx((q) => inbox.accept(q, event('msg-1')));
    expect(result.accepted).toBe(true);
    const job = await queue.get(result.jobId!);
    expect(job).toMatchObject({
      kind: 'message',
      integrationId: 'int-1',
      sessionKey: 'int-1:cid-1:staff-1',
      payload: { text: 'hello' },
      status: 'queued',
      attempts: 0,
    });
    expect(await inbox.has('int-1', 'msg-1')).toBe(true);
  });

  it('the same event delivered again is a no-op: one row, one job (P9)', async () => {
    const first = await t.db.tx((q) => inbox.accept(q, event('msg-1')));
    const second = await t.db.tx((q) => inbox.accept(q, event('msg-1')));
    expect(first.accepted).toBe(true);
    expect(second).toEqual({ accepted: false });
    expect(await count(t, 'plugin_dingtalk_inbox')).toBe(1);
    expect(await count(t, 'plugin_dingtalk_handoff')).toBe(1);
  });

  it('dedupes per integration: the same event id on another integration is a new event', async () => {
    await t.db.tx((q) => inbox.accept(q, event('msg-1')));
    const other = await t.db.tx((q) => inbox.accept(q, event('msg-1', { integrationId: 'int-2' })));
    expect(other.accepted).toBe(true);
    expect((await queue.get(other.jobId!))?.integrationId).toBe('int-2');
  });

  it('a failed transaction leaves neither row nor job, so a redelivery is accepted (P7)', async () => {
    await expect(
      t.db.tx(async (q) => {
        await inbox.accept(q, event('msg-1'));
        throw new Error('commit never happens');
      }),
    ).rejects.toThrow('commit never happens');
    expect(await count(t, 'plugin_dingtalk_inbox')).toBe(0);
    expect(await count(t, 'plugin_dingtalk_handoff')).toBe(0);
    expect((await t.db.tx((q) => inbox.accept(q, event('msg-1')))).accepted).toBe(true);
  });

  it('purges rows received before a date', async () => {
    let now = new Date('2025-01-01T00:00:00Z');
    const clocked = new InboxRepository(t.db, () => now);
    await t.db.tx((q) => clocked.accept(q, event('old')));
    now = new Date('2025-01-10T00:00:00Z');
    await t.db.tx((q) => clocked.accept(q, event('new')));
    expect(await clocked.purgeOlderThan(new Date('2025-01-05T00:00:00Z'))).toBe(1);
    expect(await inbox.has('int-1', 'old')).toBe(false);
    expect(await inbox.has('int-1', 'new')).toBe(true);
  });

  // PGlite serves one connection: concurrent redeliveries can only race on the server.
  (usingServer ? it : it.skip)('20 concurrent deliveries of one event, each in its own transaction, make exactly one job (P9)', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => t.db.tx((q) => inbox.accept(q, event('msg-race')))));
    expect(results.filter((r) => r.accepted)).toHaveLength(1);
    expect(await count(t, 'plugin_dingtalk_inbox')).toBe(1);
    expect(await count(t, 'plugin_dingtalk_handoff')).toBe(1);
  });
});
