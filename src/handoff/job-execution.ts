import { backoffDelay, type HandoffJob, type HandoffRepository, type PersistenceLogger } from '../persistence';
import { DingTalkError, isDingTalkError } from '../kernel/errors';
import { isPermanentFailure, PermanentJobError, type JobHandler } from './job-handler.port';

/** How one run of a job ended, as the worker recorded it. */
export type JobOutcome =
  /** The handler resolved and the job is done. */
  | 'completed'
  /** The handler threw; the job is queued again with a backoff delay. */
  | 'retried'
  /** Permanent failure, unknown kind, or the last attempt failed: dead letter with its last error. */
  | 'dead'
  /** Our lease was taken away while it ran (reclaimed by another replica); nothing was recorded. */
  | 'lost'
  /** Still running when the shutdown grace period ended: aborted and handed back to the queue. */
  | 'released'
  /** Recording the outcome failed (database down); the lease expires and the job comes back (P12). */
  | 'unrecorded';

/** Last errors are for operators reading a dead letter; a runaway message must not bloat the row. */
export const MAX_LAST_ERROR_CHARS = 2000;

/** Retry delays: capped exponential with full jitter (`backoffDelay`). */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

/** One claimed job while this worker runs it. */
export class RunningJob {
  readonly controller = new AbortController();
  /** Settles when the run is over and its outcome recorded; never rejects. */
  done: Promise<JobOutcome> = Promise.resolve<JobOutcome>('unrecorded');
  /** The handler has returned: a heartbeat that now finds no lease is racing our own final UPDATE. */
  settling = false;
  /** Lease lost: whatever the handler does now must not be recorded (someone else owns the job). */
  lost = false;
  /** Shutdown gave up on it: it is released to the queue, so its failure must not burn an attempt. */
  abandoned = false;
  /** The session's next job, claimed by the same statement that completed this one (chained). */
  next: HandoffJob | null = null;
  /** Completed by the statement that also looked for the session's next job (found or not). */
  chainLooked = false;

  /** `chain`: how many jobs in a row this slot has run by chaining, to bound one session's hold on it. */
  constructor(
    readonly job: HandoffJob,
    readonly chain = 0,
  ) {}

  /** Still ours to heartbeat. */
  get live(): boolean {
    return !this.settling && !this.lost && !this.abandoned;
  }
}

export interface JobExecutorDeps {
  queue: HandoffRepository;
  handlers: ReadonlyMap<string, JobHandler>;
  owner: string;
  retry: RetryPolicy;
  random?: () => number;
  /**
   * Extra DingTalkError codes to dead-letter at once, on top of the catalogue's `retry: 'never'`
   * codes (which always dead-letter at once).
   */
  permanentErrorCodes: ReadonlySet<string>;
  logger: PersistenceLogger;
  /** When set and `wanted(run)` holds, a completion also claims the session's next job (run.next). */
  chain?: { leaseMs: number; wanted: (run: RunningJob) => boolean };
}

/**
 * Runs one claimed job through its handler and records the result in the queue. Kept apart from the
 * worker's loop so the rules "what counts as done, retry, dead" live in one small place.
 */
export class JobExecutor {
  constructor(private readonly deps: JobExecutorDeps) {}

  async execute(run: RunningJob): Promise<JobOutcome> {
    const { job } = run;
    const handler = this.deps.handlers.get(job.kind);
    try {
      if (!handler) {
        // A job nobody can run would otherwise retry until it dies; say so in the dead letter now.
        const error = new PermanentJobError('dingtalk_job_kind_unknown', `No handler is registered for job kind "${job.kind}".`);
        run.settling = true;
        return await this.recordFailure(run, error, true);
      }
      let failure: { error: unknown } | undefined;
      try {
        await handler.handle(job, { signal: run.controller.signal, owner: this.deps.owner });
      } catch (error) {
        failure = { error };
      }
      run.settling = true;
      // Even a successful handler must not complete a job it no longer owns: the same owner may
      // already have re-claimed it, and completing would cut that newer run short.
      if (run.lost) return 'lost';
      if (!failure) return await this.recordSuccess(run);
      // An aborted run at shutdown is released, not failed: interrupted work costs no attempt (P14).
      if (run.abandoned) return 'released';
      return await this.recordFailure(run, failure.error, this.isPermanent(failure.error));
    } catch (error) {
      // The queue update itself failed. The job keeps our lease until it expires, then comes back.
      this.deps.logger.warn(`handoff job ${job.id} (${job.kind}): could not record its outcome: ${describeJobError(error, 300)}`);
      return 'unrecorded';
    }
  }

  private async recordSuccess(run: RunningJob): Promise<JobOutcome> {
    const chain = this.deps.chain;
    if (chain && run.job.sessionKey !== null && chain.wanted(run)) {
      const { completed, next } = await this.deps.queue.completeAndClaimNext(run.job.id, this.deps.owner, chain.leaseMs);
      run.next = next;
      run.chainLooked = completed;
      if (completed) return 'completed';
    } else if (await this.deps.queue.complete(run.job.id, this.deps.owner)) return 'completed';
    if (run.abandoned) return 'released';
    this.deps.logger.warn(`handoff job ${run.job.id} (${run.job.kind}) finished after its lease was lost; result not recorded`);
    return 'lost';
  }

  private async recordFailure(run: RunningJob, error: unknown, permanent: boolean): Promise<JobOutcome> {
    const { job } = run;
    const text = describeJobError(error);
    const retryInMs = permanent ? undefined : Math.max(backoffDelay(job.attempts, { ...this.deps.retry, random: this.deps.random }), retryHintMs(error));
    const failed = await this.deps.queue.fail(job.id, this.deps.owner, text, permanent ? { dead: true } : { retryInMs });
    if (!failed) return 'lost';
    // Message text of errors is ours (DingTalkError never carries bodies); payloads are never logged.
    const attempt = `attempt ${job.attempts}/${job.maxAttempts}`;
    if (failed.status === 'dead') {
      this.deps.logger.error(`handoff job ${job.id} (${job.kind}) is dead after ${attempt}: ${describeJobError(error, 300)}`);
      return 'dead';
    }
    this.deps.logger.warn(`handoff job ${job.id} (${job.kind}) ${attempt} failed, retry in ${retryInMs} ms: ${describeJobError(error, 300)}`);
    return 'retried';
  }

  /** The error catalogue decides: a code no retry can fix dead-letters on its first failure. */
  private isPermanent(error: unknown): boolean {
    if (isPermanentFailure(error)) return true;
    return isDingTalkError(error) && this.deps.permanentErrorCodes.has(error.code);
  }
}

/** The reason an abort carries, so a handler can tell shutdown from a lost lease. */
export function abortReason(kind: 'shutdown' | 'lease_lost', jobId: string): DingTalkError {
  return kind === 'shutdown'
    ? new DingTalkError('dingtalk_worker_shutdown', `Handoff job ${jobId} was interrupted by a worker shutdown; it goes back to the queue.`, 503)
    : new DingTalkError('dingtalk_job_lease_lost', `Handoff job ${jobId} lost its lease (another worker reclaimed it); stop working on it.`, 409);
}

/**
 * The last-error text of a failed run: code or name plus message, never a stack or the payload,
 * whitespace-trimmed and cut to `max` characters.
 */
export function describeJobError(error: unknown, max = MAX_LAST_ERROR_CHARS): string {
  let text: string;
  if (typeof error === 'object' && error !== null && typeof (error as Error).message === 'string') {
    const { name, message } = error as Error;
    const code = (error as { code?: unknown }).code;
    const label = typeof code === 'string' && code !== '' ? code : name || 'Error';
    text = `${label}: ${message.trim()}`;
  } else {
    text = typeof error === 'string' ? error : `non-error value thrown (${typeof error})`;
  }
  text = text.trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * How long an error says a retry cannot succeed (`details.retryInMs`, e.g. an identical send still
 * in flight); 0 when it says nothing. Capped, so a wrong hint cannot park a job for long.
 */
function retryHintMs(error: unknown): number {
  const hint = isDingTalkError(error) ? error.details?.retryInMs : undefined;
  return typeof hint === 'number' && Number.isFinite(hint) && hint > 0 ? Math.min(hint, MAX_RETRY_HINT_MS) : 0;
}

const MAX_RETRY_HINT_MS = 60_000;
