import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DingTalkError } from '../kernel/errors';
import type { HandoffJob, PersistenceLogger, Queryable } from '../persistence';
import type { JobOutcome, RetryPolicy } from './job-execution';
import type { JobHandler } from './job-handler.port';

export type WorkerLogger = PersistenceLogger;

export interface HandoffWorkerOptions {
  /** The plugin Database (or any Queryable: tests wrap it to inject failures). */
  db: Queryable;
  handlers: readonly JobHandler[];
  /** Lease owner; unique per worker. Default: host, pid and a random suffix. */
  owner?: string;
  /** Jobs run at once by this worker. */
  concurrency: number;
  /** Idle wait between claims when the queue had nothing for us. */
  pollIntervalMs: number;
  /** Lease per claim; renewed every leaseMs/3 while the handler runs. */
  leaseMs: number;
  retry: RetryPolicy;
  /** How long stop() lets running jobs finish before aborting and releasing them. */
  shutdownGraceMs: number;
  /** How often expired leases are taken back (crashed workers, P12). Default: leaseMs/2, at least the poll interval. */
  reclaimIntervalMs?: number;
  /** More DingTalkError codes that dead-letter at once (the catalogue's `never` codes always do). */
  permanentErrorCodes?: Iterable<string>;
  logger?: WorkerLogger;
  /** Random source of the retry jitter (tests pin it). */
  random?: () => number;
  /** Called when a claim found nothing and no job is running. */
  onIdle?: () => void;
  /** Called after each run with its recorded outcome (metrics; tests await outcomes with it). */
  onJobSettled?: (job: HandoffJob, outcome: JobOutcome) => void;
  /** The shutdown grace wait; tests inject a deferred to end the grace period on cue. */
  sleep?: (ms: number) => Promise<void>;
}

export type WorkerState = 'idle' | 'running' | 'stopping' | 'stopped';

export interface HandoffWorkerStats {
  owner: string;
  state: WorkerState;
  concurrency: number;
  inFlight: number;
  claimed: number;
  completed: number;
  retried: number;
  dead: number;
  lost: number;
  released: number;
  unrecorded: number;
  /** Jobs taken back from expired leases by this worker's reclaim sweeps. */
  reclaimed: number;
  /** Ticks that failed on a database error (the loop carried on). */
  tickErrors: number;
}

/** Retry defaults when the plugin config does not say: 2 s, 4 s, 8 s … capped at 5 minutes. */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 2_000, maxMs: 5 * 60_000 };

/** Longest pause of the loop after repeated database errors (PostgreSQL restarting, failover). */
export const MAX_ERROR_DELAY_MS = 30_000;

export function defaultOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Configuration mistakes fail at construction, with a message naming the field. */
export function validateWorkerOptions(options: HandoffWorkerOptions): void {
  positiveInteger('concurrency', options.concurrency);
  positiveInteger('pollIntervalMs', options.pollIntervalMs);
  positiveInteger('leaseMs', options.leaseMs);
  nonNegative('shutdownGraceMs', options.shutdownGraceMs);
  nonNegative('retry.baseMs', options.retry.baseMs);
  nonNegative('retry.maxMs', options.retry.maxMs);
  if (options.reclaimIntervalMs !== undefined) positiveInteger('reclaimIntervalMs', options.reclaimIntervalMs);
  if (options.owner !== undefined && options.owner.trim() === '') invalid('owner must not be empty');
}

/** One handler per kind: two would make which one runs depend on registration order. */
export function indexHandlers(handlers: readonly JobHandler[]): Map<string, JobHandler> {
  const byKind = new Map<string, JobHandler>();
  for (const handler of handlers) {
    if (byKind.has(handler.kind)) invalid(`two job handlers are registered for kind "${handler.kind}"`);
    byKind.set(handler.kind, handler);
  }
  return byKind;
}

function positiveInteger(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) invalid(`${field} must be a positive integer (got ${value})`);
}

function nonNegative(field: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) invalid(`${field} must be a non-negative number (got ${value})`);
}

function invalid(detail: string): never {
  throw new DingTalkError('dingtalk_worker_config_invalid', `Handoff worker configuration: ${detail}.`, 500);
}
