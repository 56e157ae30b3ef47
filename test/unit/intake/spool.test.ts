import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { IntakeSpool } from '../../../src/intake/spool-file';
import { decodeSpool, encodeSpoolLine, spooledRecord, spoolHasRoom, type SpoolEntry } from '../../../src/intake/spool-format';
import type { InboxAcceptInput } from '../../../src/persistence/inbox.types';

const record = (eventId: string, text = 'hello'): InboxAcceptInput => ({
  integrationId: 'int-1',
  eventId,
  kind: 'message',
  conversationId: 'cid1',
  senderId: 'u1',
  job: { kind: 'message', sessionKey: 'int-1:cid1:u1', payload: { text } },
});
const entry = (eventId: string): SpoolEntry => ({ v: 1, at: 1_700_000_000_000, record: record(eventId) });

describe('spool file format', () => {
  it('round-trips entries, one checksummed line each', () => {
    const text = encodeSpoolLine(entry('e1')) + encodeSpoolLine(entry('e2'));
    expect(text.split('\n')).toHaveLength(3);
    expect(decodeSpool(text)).toEqual({ entries: [entry('e1'), entry('e2')], skipped: 0 });
  });

  it('skips a torn last line (no newline: the write never completed, so it was never acknowledged)', () => {
    const whole = encodeSpoolLine(entry('e1'));
    const torn = encodeSpoolLine(entry('e2')).slice(0, 40);
    expect(decodeSpool(whole + torn)).toEqual({ entries: [entry('e1')], skipped: 1 });
    // Even a torn line that happens to be valid JSON up to its cut is not trusted without its newline.
    expect(decodeSpool(whole + encodeSpoolLine(entry('e3')).slice(0, -1))).toEqual({ entries: [entry('e1')], skipped: 1 });
  });

  it('skips a line whose checksum or shape does not hold, and keeps the lines after it', () => {
    const good = encodeSpoolLine(entry('e1'));
    const flipped = encodeSpoolLine(entry('e2')).replace('"e2"', '"e9"');
    // A correct checksum over something that is not an entry.
    const json = JSON.stringify({ v: 1, at: 1, record: { eventId: 'x' } });
    const notEntry = `${createHash('sha256').update(json).digest('hex').slice(0, 16)} ${json}\n`;
    expect(decodeSpool(flipped + notEntry + good + 'garbage\n')).toEqual({ entries: [entry('e1')], skipped: 3 });
  });

  it('knows when one more line does not fit, by count and by bytes', () => {
    const bounds = { maxEvents: 2, maxBytes: 100 };
    expect(spoolHasRoom({ depth: 1, bytes: 50 }, 50, bounds)).toBe(true);
    expect(spoolHasRoom({ depth: 2, bytes: 10 }, 10, bounds)).toBe(false);
    expect(spoolHasRoom({ depth: 0, bytes: 60 }, 41, bounds)).toBe(false);
  });
});

describe('spool on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spool-unit-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const spool = (bounds: Partial<{ maxEvents: number; maxBytes: number }> = {}) => new IntakeSpool({ dir, maxEvents: 100, maxBytes: 1 << 20, now: () => 1_700_000_000_000, ...bounds });
  const segments = () => readdirSync(dir).filter((n) => n.endsWith('.spool'));

  it('appends to one segment, seals it, and a new process counts what is left', async () => {
    const first = spool();
    await first.append(record('e1'));
    await first.append(record('e2'));
    expect(first.status()).toMatchObject({ depth: 2 });
    expect(segments()).toHaveLength(1);
    const [name] = await first.sealed();
    expect(await first.read(name)).toEqual([expect.objectContaining({ record: record('e1') }), expect.objectContaining({ record: record('e2') })]);
    await first.append(record('e3')); // a fresh segment after sealing
    expect(segments()).toHaveLength(2);
    await first.close();
    const again = spool();
    await again.open();
    expect(again.status()).toEqual({ depth: 3, bytes: expect.any(Number) });
  });

  it('refuses, coded, when full by count or by bytes, and stores nothing of the refused event', async () => {
    const byCount = spool({ maxEvents: 1 });
    await byCount.append(record('e1'));
    await expect(byCount.append(record('e2'))).rejects.toMatchObject({ code: 'dingtalk_spool_full', httpStatus: 503 });
    expect(byCount.status()).toMatchObject({ depth: 1, lastError: 'dingtalk_spool_full' });
    await byCount.close();
    rmSync(dir, { recursive: true, force: true });
    const byBytes = spool({ maxBytes: 4096 });
    await expect(byBytes.append(record('big', 'x'.repeat(5000)))).rejects.toMatchObject({ code: 'dingtalk_spool_full' });
    expect(byBytes.status()).toMatchObject({ depth: 0, bytes: 0 });
  });

  it('refuses, coded, when the directory cannot be written', async () => {
    // A directory path under a regular file: no user, root included, can create it.
    writeFileSync(join(dir, 'a-file'), '');
    const unwritable = new IntakeSpool({ dir: join(dir, 'a-file', 'spool'), maxEvents: 10, maxBytes: 1 << 20, now: Date.now });
    await expect(unwritable.append(record('e1'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(unwritable.status()).toEqual({ depth: 0, bytes: 0, lastError: 'dingtalk_spool_unwritable' });
  });

  it('ignores a torn last line left by a crash when counting and reading', async () => {
    const first = spool();
    await first.append(record('e1'));
    const [name] = await first.sealed();
    appendFileSync(join(dir, name), encodeSpoolLine(entry('torn')).slice(0, 30));
    const again = spool();
    await again.open();
    expect(again.status().depth).toBe(1);
    expect((await again.read(name)).map((e) => e.record.eventId)).toEqual(['e1']);
  });

  it('settles a drained segment: removed when empty, rewritten with what is left otherwise', async () => {
    const s = spool();
    for (const id of ['e1', 'e2', 'e3']) await s.append(record(id));
    const [name] = await s.sealed();
    const entries = await s.read(name);
    await s.settle(name, entries.slice(2));
    expect(s.status().depth).toBe(1);
    expect(decodeSpool(readFileSync(join(dir, name), 'utf8')).entries.map((e) => e.record.eventId)).toEqual(['e3']);
    await s.settle(name, []);
    expect(s.status()).toEqual({ depth: 0, bytes: 0 });
    expect(segments()).toHaveLength(0);
  });

  it('will not share its directory with another live process, but takes over a dead one’s', async () => {
    writeFileSync(join(dir, 'owner.lock'), JSON.stringify({ pid: process.ppid, host: hostname() }));
    await expect(spool().open()).rejects.toMatchObject({ code: 'dingtalk_spool_locked' });
    writeFileSync(join(dir, 'owner.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() }));
    await expect(spool().open()).resolves.toBeUndefined();
  });
});

describe('spooledRecord (what the drainer inserts for an entry)', () => {
  const arrived = new Date(1_700_000_000_123);
  const spooledWith = (job: Record<string, unknown>): SpoolEntry => JSON.parse(JSON.stringify({ ...entry('e1'), record: { ...record('e1'), job: { ...record('e1').job, ...job } } }));

  it('keeps the arrival time the event was spooled with, revived from JSON', () => {
    const out = spooledRecord(spooledWith({ arrivedAt: arrived }), undefined);
    expect(out.job.arrivedAt).toEqual(arrived);
    expect(out.job.arrivedAt).toBeInstanceOf(Date);
    expect(out.job.runAt).toBeUndefined();
  });

  it('an entry spooled before arrival times were kept arrives when it was spooled', () => {
    expect(spooledRecord(spooledWith({}), undefined).job.arrivedAt).toEqual(new Date(1_700_000_000_000));
    expect(spooledRecord(spooledWith({ arrivedAt: 'garbage' }), undefined).job.arrivedAt).toEqual(new Date(1_700_000_000_000));
  });

  it('takes the run time the drainer chose, and leaves the rest of the record alone', () => {
    const runAt = new Date(1_700_000_003_000);
    const out = spooledRecord(spooledWith({ arrivedAt: arrived }), runAt);
    expect(out.job.runAt).toEqual(runAt);
    expect(out).toMatchObject({ integrationId: 'int-1', eventId: 'e1', kind: 'message', job: { kind: 'message', sessionKey: 'int-1:cid1:u1', payload: { text: 'hello' } } });
  });
});
