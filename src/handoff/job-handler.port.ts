import { isPermanentError, type ErrorCode } from '../kernel/errors';
import type { HandoffJob } from '../persistence';

/** What the worker gives a handler besides the job. */
export interface JobContext {
  /** Aborted when the worker shuts down past its grace period or the lease is lost. */
  signal: AbortSignal;
  /** Worker identity (also the lease owner). */
  owner: string;
}

/**
 * One kind of queued work (`message`, `flush`, `dispatch`, `end_session`, `resume`, `card_action`,
 * `platform_event`, …). Resolve = done. Throw = retry later with backoff, unless the error is a
 * `PermanentJobError` or carries a code the error catalogue marks `retry: 'never'`, which
 * dead-letters at once with its message as the last error.
 */
export interface JobHandler<P = unknown> {
  readonly kind: string;
  handle(job: HandoffJob<P>, context: JobContext): Promise<void>;
}

/** A failure that no retry can fix (bad payload, unknown kind): dead-letter now. */
export class PermanentJobError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

/**
 * The worker's rule, for everyone who must know ahead of it (a handler that tells the user before a
 * job dead-letters): true when no retry can fix `error`, i.e. a PermanentJobError or a code the error
 * catalogue marks `retry: 'never'`.
 */
export function isPermanentFailure(error: unknown): boolean {
  return error instanceof PermanentJobError || isPermanentError(error);
}

/** Nest multi-provider style token: every handler is registered under it. */
export const JOB_HANDLERS = Symbol.for('xpert.plugin.dingtalk.jobHandlers');
