import { createHash } from 'node:crypto';
import type { InboxAcceptInput } from '../persistence/inbox.types';

/**
 * The intake spool's file format. Pure: no IO, no clock.
 *
 * One event per line: `<16 hex of sha256(json)> <json>\n`. A line is only trusted when its
 * checksum matches and it ends with a newline, so a write torn by a crash (the process died before
 * the fsync, hence before the ACK) is recognised and skipped: nobody was told it was stored.
 */

export const SPOOL_FORMAT_VERSION = 1;

export interface SpoolEntry {
  v: typeof SPOOL_FORMAT_VERSION;
  /** When it was spooled (epoch ms); the inbox row gets the drain time. */
  at: number;
  /**
   * Exactly what intake would have written: the inbox row and its job. Read back from JSON, the
   * job's dates are ISO strings (see spooledRecord).
   */
  record: InboxAcceptInput;
}

/**
 * The record to insert for a spooled entry: its dates revived from JSON, its arrival time kept
 * (entries written before arrival times were recorded fall back to when they were spooled), and
 * the run time the drainer chose.
 */
export function spooledRecord(entry: SpoolEntry, runAt: Date | undefined): InboxAcceptInput {
  const job = entry.record.job as InboxAcceptInput['job'] & { arrivedAt?: Date | string };
  const arrivedAt = job.arrivedAt === undefined ? new Date(entry.at) : new Date(job.arrivedAt);
  return {
    ...entry.record,
    job: { ...job, arrivedAt: Number.isFinite(arrivedAt.getTime()) ? arrivedAt : new Date(entry.at), runAt },
  };
}

export interface DecodedSpool {
  entries: SpoolEntry[];
  /** Lines dropped: a torn last line, or a line whose checksum or JSON does not hold. */
  skipped: number;
}

function checksum(json: string): string {
  return createHash('sha256').update(json, 'utf8').digest('hex').slice(0, 16);
}

export function encodeSpoolLine(entry: SpoolEntry): string {
  const json = JSON.stringify(entry);
  return `${checksum(json)} ${json}\n`;
}

export function decodeSpool(text: string): DecodedSpool {
  const lines = text.split('\n');
  // Whatever follows the last newline never completed.
  const tail = lines.pop() ?? '';
  let skipped = tail === '' ? 0 : 1;
  const entries: SpoolEntry[] = [];
  for (const line of lines) {
    if (line === '') continue;
    const entry = decodeLine(line);
    if (entry) entries.push(entry);
    else skipped += 1;
  }
  return { entries, skipped };
}

function decodeLine(line: string): SpoolEntry | undefined {
  const space = line.indexOf(' ');
  if (space !== 16) return undefined;
  const json = line.slice(space + 1);
  if (checksum(json) !== line.slice(0, space)) return undefined;
  try {
    const parsed = JSON.parse(json) as Partial<SpoolEntry>;
    const record = parsed.record as Partial<InboxAcceptInput> | undefined;
    if (parsed.v !== SPOOL_FORMAT_VERSION || typeof parsed.at !== 'number' || !record || typeof record.integrationId !== 'string' || typeof record.eventId !== 'string' || !record.job) {
      return undefined;
    }
    return parsed as SpoolEntry;
  } catch {
    return undefined;
  }
}

/** Whether one more line of `lineBytes` fits the bounds. */
export function spoolHasRoom(state: { depth: number; bytes: number }, lineBytes: number, bounds: { maxEvents: number; maxBytes: number }): boolean {
  return state.depth + 1 <= bounds.maxEvents && state.bytes + lineBytes <= bounds.maxBytes;
}

/** What a failure may show in a log line: its code or class, never its message (it may quote a body). */
export function failureLabel(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.name : typeof error;
}
