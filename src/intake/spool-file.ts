import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DingTalkError } from '../kernel/errors';
import type { InboxAcceptInput } from '../persistence/inbox.types';
import { decodeSpool, encodeSpoolLine, spoolHasRoom, SPOOL_FORMAT_VERSION, type SpoolEntry } from './spool-format';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  maxEvents: number;
  now: () => number;
}

export interface SpoolStatus {
  /** Events waiting for the database. */
  depth: number;
  bytes: number;
  /** Code of the last spool or drain failure, while it lasts. */
  lastError?: string;
}

const SUFFIX = '.spool';
const LOCK = 'owner.lock';

/**
 * The intake spool on disk: where an event goes when the database cannot take it, so that it can
 * still be acknowledged (DingTalk does not push robot messages again). Append-only segment files,
 * each line fsync'd before `append` resolves, bounded by event count and bytes.
 *
 * One directory belongs to one process (a lock file with its pid): the drainer rewrites and removes
 * segments, which must never race another process's appends. A lock left by a dead process is taken
 * over at start. All file work runs one operation at a time.
 */
export class IntakeSpool {
  private chain: Promise<unknown> = Promise.resolve();
  private active?: { name: string; handle: FileHandle };
  /** Every segment (sealed or active) with what it holds. */
  private readonly segments = new Map<string, { count: number; bytes: number }>();
  private seq = 0;
  private opened?: Promise<void>;
  private lastError?: string;
  private readonly instance = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(private readonly options: SpoolOptions) {}

  /** Creates the directory, takes the lock and counts what an earlier run left behind. */
  open(): Promise<void> {
    this.opened ??= this.serial(() => this.openNow()).catch((error) => {
      this.opened = undefined;
      this.lastError = codeOf(error, 'dingtalk_spool_unwritable');
      throw error;
    });
    return this.opened;
  }

  status(): SpoolStatus {
    let depth = 0;
    let bytes = 0;
    for (const s of this.segments.values()) {
      depth += s.count;
      bytes += s.bytes;
    }
    return { depth, bytes, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** Resolves once the event is on disk (fsync'd); rejects, coded, when full or unwritable. */
  async append(record: InboxAcceptInput): Promise<void> {
    await this.open();
    return this.serial(async () => {
      const line = encodeSpoolLine({ v: SPOOL_FORMAT_VERSION, at: this.options.now(), record });
      const lineBytes = Buffer.byteLength(line, 'utf8');
      if (!spoolHasRoom(this.status(), lineBytes, this.options)) {
        this.lastError = 'dingtalk_spool_full';
        throw new DingTalkError('dingtalk_spool_full', `The DingTalk intake spool is full (${this.options.maxEvents} events or ${this.options.maxBytes} bytes); restore the plugin database so it drains, or raise spool.maxEvents / spool.maxBytes.`, 503);
      }
      try {
        const active = await this.activeSegment();
        await active.handle.write(line);
        await active.handle.datasync();
        const seg = this.segments.get(active.name)!;
        seg.count += 1;
        seg.bytes += lineBytes;
      } catch (error) {
        // A segment that failed a write may end in a torn line; later appends go to a fresh one.
        await this.closeActive().catch(() => undefined);
        this.lastError = 'dingtalk_spool_unwritable';
        throw new DingTalkError('dingtalk_spool_unwritable', `The DingTalk intake spool cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'}); check spool.dir (DINGTALK_SPOOL_DIR): free space and permissions.`, 503);
      }
    });
  }

  /** Closes the segment being appended to and lists every closed segment, oldest first. */
  async sealed(): Promise<string[]> {
    await this.open();
    return this.serial(async () => {
      await this.closeActive();
      return [...this.segments.keys()].sort();
    });
  }

  async read(name: string): Promise<SpoolEntry[]> {
    return decodeSpool(await readFile(join(this.options.dir, name), 'utf8')).entries;
  }

  /** After a drain pass over `name`: removes it, or rewrites it with the entries still to go. */
  async settle(name: string, remaining: SpoolEntry[]): Promise<void> {
    return this.serial(async () => {
      const path = join(this.options.dir, name);
      if (remaining.length === 0) {
        await unlink(path);
        this.segments.delete(name);
      } else {
        const text = remaining.map(encodeSpoolLine).join('');
        const tmp = `${path}.tmp`;
        await writeFile(tmp, text, { flush: true });
        await rename(tmp, path);
        this.segments.set(name, { count: remaining.length, bytes: Buffer.byteLength(text, 'utf8') });
      }
      await this.syncDir();
    });
  }

  noteError(code: string | undefined): void {
    this.lastError = code;
  }

  async close(): Promise<void> {
    await this.serial(() => this.closeActive());
  }

  private async openNow(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    await this.lock();
    for (const name of (await readdir(this.options.dir)).filter((n) => n.endsWith(SUFFIX)).sort()) {
      const path = join(this.options.dir, name);
      const { entries } = decodeSpool(await readFile(path, 'utf8'));
      this.segments.set(name, { count: entries.length, bytes: (await stat(path)).size });
    }
  }

  private async lock(): Promise<void> {
    const path = join(this.options.dir, LOCK);
    const mine = JSON.stringify({ pid: process.pid, host: hostname(), instance: this.instance });
    try {
      await writeFile(path, mine, { flag: 'wx', flush: true });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = safeJson(await readFile(path, 'utf8').catch(() => ''));
    if (holder && holder.host === hostname() && holder.pid !== process.pid && alive(holder.pid)) {
      throw new DingTalkError('dingtalk_spool_locked', `Another process (pid ${holder.pid}) uses this DingTalk spool directory; give each replica its own spool.dir (DINGTALK_SPOOL_DIR).`, 503);
    }
    // Left by a process that is gone (or by this one before a restart): ours now.
    await writeFile(path, mine, { flush: true });
  }

  private async activeSegment(): Promise<{ name: string; handle: FileHandle }> {
    if (this.active) return this.active;
    const name = `${String(this.options.now()).padStart(15, '0')}-${String(++this.seq).padStart(6, '0')}-${this.instance}${SUFFIX}`;
    const handle = await open(join(this.options.dir, name), 'a');
    this.segments.set(name, { count: 0, bytes: 0 });
    await this.syncDir();
    this.active = { name, handle };
    return this.active;
  }

  private async closeActive(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    if (!active) return;
    await active.handle.close();
    const seg = this.segments.get(active.name);
    if (seg && seg.count === 0) {
      await unlink(join(this.options.dir, active.name)).catch(() => undefined);
      this.segments.delete(active.name);
    }
  }

  /** A new or removed file is only durable once its directory entry is. */
  private async syncDir(): Promise<void> {
    const dir = await open(this.options.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

function alive(pid: unknown): boolean {
  if (typeof pid !== 'number') return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function safeJson(text: string): { pid?: number; host?: string } | undefined {
  try {
    return JSON.parse(text) as { pid?: number; host?: string };
  } catch {
    return undefined;
  }
}

function codeOf(error: unknown, fallback: string): string {
  return error instanceof DingTalkError ? error.code : fallback;
}
