import { ConversationBindingRepository, TriggerBindingRepository } from '../../../src/persistence';
import { ConversationStateRepository } from '../../../src/persistence/conversation-state.repository';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';

describe('binding repositories', () => {
  let t: TestDatabase;
  let triggers: TriggerBindingRepository;
  let sessions: ConversationBindingRepository;

  beforeAll(async () => {
    t = await openTestDatabase();
    triggers = new TriggerBindingRepository(t.db);
    sessions = new ConversationBindingRepository(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
  });

  describe('TriggerBindingRepository', () => {
    it('upsert is idempotent (publish is replayed at every boot) and one expert owns an integration', async () => {
      const first = await triggers.upsert({ integrationId: 'int-1', xpertId: 'x1', tenantId: 't', organizationId: 'o', config: { sessionTimeoutSeconds: 3600 } });
      const again = await triggers.upsert({ integrationId: 'int-1', xpertId: 'x1', tenantId: 't', organizationId: 'o', config: { sessionTimeoutSeconds: 3600 } });
      expect(again).toMatchObject({ id: first.id, xpertId: 'x1', enabled: true, config: { sessionTimeoutSeconds: 3600 } });

      const taken = await triggers.upsert({ integrationId: 'int-1', xpertId: 'x2', enabled: false, config: { summaryWindowSeconds: 5 } });
      expect(taken).toMatchObject({ id: first.id, xpertId: 'x2', enabled: false, tenantId: null, config: { summaryWindowSeconds: 5 } });
      expect(await triggers.list()).toHaveLength(1);
      expect(await triggers.findByXpert('x1')).toEqual([]);
      expect((await triggers.findByXpert('x2')).map((b) => b.integrationId)).toEqual(['int-1']);
    });

    it("remove with an expert id never unbinds another expert's binding", async () => {
      await triggers.upsert({ integrationId: 'int-1', xpertId: 'x2' });
      expect(await triggers.remove('int-1', 'x1')).toBe(false);
      expect(await triggers.findByIntegration('int-1')).not.toBeNull();
      expect(await triggers.remove('int-1', 'x2')).toBe(true);
      expect(await triggers.findByIntegration('int-1')).toBeNull();
      await triggers.upsert({ integrationId: 'int-1', xpertId: 'x3' });
      expect(await triggers.remove('int-1')).toBe(true);
    });
  });

  describe('ConversationBindingRepository', () => {
    it('start writes the reply target and clears a pending interrupt in one statement; touch can refresh the target', async () => {
      const state = new ConversationStateRepository(t.db);
      await sessions.start('k-rt', { integrationId: 'i', conversationId: 'c', senderId: 's', xpertId: 'x', replyTarget: { webhook: 'first' } });
      await state.setPendingInterrupt('k-rt', { id: 'p1', xpertId: 'x', threadId: 't', operation: {}, prompt: 'ok?', createdAt: new Date().toISOString() });
      // A restart without a target keeps the stored one but never the old thread's interrupt.
      await sessions.start('k-rt', { integrationId: 'i', conversationId: 'c', senderId: 's', xpertId: 'x' });
      expect(await state.get('k-rt')).toEqual({ replyTarget: { webhook: 'first' }, pendingInterrupt: null });
      await sessions.start('k-rt', { integrationId: 'i', conversationId: 'c', senderId: 's', xpertId: 'x', replyTarget: { webhook: 'second' } });
      expect((await state.get('k-rt'))?.replyTarget).toEqual({ webhook: 'second' });
      expect(await sessions.touch('k-rt', new Date(), { webhook: 'third' })).toBe(true);
      expect((await state.get('k-rt'))?.replyTarget).toEqual({ webhook: 'third' });
      expect(await sessions.touch('k-rt', new Date())).toBe(true);
      expect((await state.get('k-rt'))?.replyTarget).toEqual({ webhook: 'third' });
    });

    const base = { integrationId: 'int-1', conversationId: 'cid', senderId: 'u1', xpertId: 'x1' };

    it('start, touch, end, and start again with a fresh thread', async () => {
      const t0 = new Date('2025-02-01T08:00:00Z');
      const started = await sessions.start('int-1:cid:u1', { ...base, now: t0 });
      expect(started).toMatchObject({ ...base, sessionKey: 'int-1:cid:u1', endedAt: null });
      expect(started.threadId).toMatch(/^[0-9a-f-]{36}$/);
      expect(started.lastActiveAt.getTime()).toBe(t0.getTime());

      const t1 = new Date('2025-02-01T08:05:00Z');
      expect(await sessions.touch('int-1:cid:u1', t1)).toBe(true);
      // A late, older touch never moves activity backwards.
      expect(await sessions.touch('int-1:cid:u1', t0)).toBe(true);
      expect((await sessions.get('int-1:cid:u1'))!.lastActiveAt.getTime()).toBe(t1.getTime());

      expect(await sessions.end('int-1:cid:u1', t1)).toBe(true);
      expect(await sessions.end('int-1:cid:u1', t1)).toBe(false);
      expect(await sessions.touch('int-1:cid:u1', t1)).toBe(false);
      expect((await sessions.get('int-1:cid:u1'))!.endedAt!.getTime()).toBe(t1.getTime());

      const restarted = await sessions.start('int-1:cid:u1', { ...base, xpertId: 'x2', now: new Date('2025-02-01T09:00:00Z') });
      expect(restarted).toMatchObject({ id: started.id, xpertId: 'x2', endedAt: null });
      expect(restarted.threadId).not.toBe(started.threadId);
    });

    it('setThread, get of an unknown key, list by recency', async () => {
      await sessions.start('k1', { ...base, now: new Date('2025-02-01T08:00:00Z') });
      await sessions.start('k2', { ...base, threadId: 'given', now: new Date('2025-02-01T09:00:00Z') });
      expect((await sessions.get('k2'))!.threadId).toBe('given');
      expect(await sessions.setThread('k1', 'conv-123')).toBe(true);
      expect((await sessions.get('k1'))!.threadId).toBe('conv-123');
      expect(await sessions.get('nope')).toBeNull();
      expect((await sessions.list(10)).map((b) => b.sessionKey)).toEqual(['k2', 'k1']);
    });
  });
});
