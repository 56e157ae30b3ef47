import type { HandoffStatus } from './entities/handoff.entity';
import { toDate, toDateOrNull, toNumber, toStringOrNull } from './sql-values';

export type { HandoffStatus } from './entities/handoff.entity';

/** A job as the repository returns it. */
export interface HandoffJob<P = unknown> {
  id: string;
  /** Insert order (bigserial): breaks ties of `arrivedAt`. */
  seq: number;
  /** When the event reached a replica: orders the jobs of one session. Null for rows finished before 0013. */
  arrivedAt: Date | null;
  kind: string;
  integrationId: string;
  sessionKey: string | null;
  payload: P;
  status: HandoffStatus;
  /** Runs started so far, including the current one while running. */
  attempts: number;
  maxAttempts: number;
  runAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** What a producer hands to the queue. */
export interface NewHandoffJob<P = unknown> {
  kind: string;
  integrationId: string;
  /** Jobs with the same key run one at a time in arrival order; omit for independent jobs. */
  sessionKey?: string | null;
  /**
   * When the event reached us; defaults to the insert time. Intake sets it on receipt, so an event
   * inserted late (drained from a replica's spool) still takes its place in the session's order.
   */
  arrivedAt?: Date;
  payload: P;
  /** Not before this time; defaults to now. */
  runAt?: Date;
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

export type HandoffStats = Record<HandoffStatus, number>;

/** The column list every query returns, so rows map the same way everywhere. */
export const HANDOFF_COLUMNS = `id, seq, kind, integration_id, session_key, payload, status, attempts, max_attempts,
  arrived_at, run_at, lease_owner, lease_until, last_error, created_at, updated_at, finished_at`;

export function toHandoffJob<P = unknown>(row: Record<string, unknown>): HandoffJob<P> {
  return {
    id: String(row.id),
    seq: toNumber(row.seq),
    arrivedAt: finiteDateOrNull(row.arrived_at),
    kind: String(row.kind),
    integrationId: String(row.integration_id),
    sessionKey: toStringOrNull(row.session_key),
    payload: row.payload as P,
    status: row.status as HandoffStatus,
    attempts: toNumber(row.attempts),
    maxAttempts: toNumber(row.max_attempts),
    runAt: toDate(row.run_at),
    leaseOwner: toStringOrNull(row.lease_owner),
    leaseUntil: toDateOrNull(row.lease_until),
    lastError: toStringOrNull(row.last_error),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    finishedAt: toDateOrNull(row.finished_at),
  };
}

/** '-infinity' comes back as -Infinity (pg) or an invalid Date, depending on the driver. */
function finiteDateOrNull(value: unknown): Date | null {
  const date = toDateOrNull(value);
  return date && Number.isFinite(date.getTime()) ? date : null;
}
