import { AggregateRepository } from '../../../src/persistence';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';

describe('AggregateRepository (versioned summary window)', () => {
  let t: TestDatabase;
  let aggregate: AggregateRepository;
  const flushAt = (seconds: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, seconds));

  beforeAll(async () => {
    t = await openTestDatabase();
    aggregate = new AggregateRepository(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
  });

  it('append bumps the version, keeps messages in order and moves flush_at', async () => {
    expect(await aggregate.append(t.db, 's1', 'int-1', { text: 'one' }, flushAt(5))).toBe(1);
    expect(await aggregate.append(t.db, 's1', 'int-1', { text: 'two' }, flushAt(9))).toBe(2);
    // An array message stays a single element.
    expect(await aggregate.append(t.db, 's1', 'int-1', ['a', 'b'], flushAt(12))).toBe(3);
    const buffer = await aggregate.get('s1');
    expect(buffer).toMatchObject({ version: 3, integrationId: 'int-1', messages: [{ text: 'one' }, { text: 'two' }, ['a', 'b']] });
    expect(buffer!.flushAt.getTime()).toBe(flushAt(12).getTime());
  });

  it('only the newest version takes the messages; a stale flush gets null', async () => {
    const v1 = await aggregate.append(t.db, 's1', 'int-1', 'one', flushAt(5));
    const v2 = await aggregate.append(t.db, 's1', 'int-1', 'two', flushAt(9));
    expect(await aggregate.takeIfVersion(t.db, 's1', v1)).toBeNull();
    expect(await aggregate.get('s1')).not.toBeNull();
    expect(await t.db.tx((q) => aggregate.takeIfVersion(q, 's1', v2))).toEqual(['one', 'two']);
    expect(await aggregate.get('s1')).toBeNull();
    expect(await aggregate.takeIfVersion(t.db, 's1', v2)).toBeNull();
    // A new window starts over at version 1.
    expect(await aggregate.append(t.db, 's1', 'int-1', 'three', flushAt(20))).toBe(1);
  });

  it('sessions are independent; clear drops one buffer', async () => {
    await aggregate.append(t.db, 's1', 'int-1', 'x', flushAt(5));
    await aggregate.append(t.db, 's2', 'int-1', 'y', flushAt(5));
    expect(await aggregate.clear('s1')).toBe(true);
    expect(await aggregate.clear('s1')).toBe(false);
    expect(await aggregate.get('s1')).toBeNull();
    expect((await aggregate.get('s2'))?.messages).toEqual(['y']);
  });
});
