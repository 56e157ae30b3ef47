import { Injectable } from '@nestjs/common';

export { RUN_STOPPED_CODE } from '../runner/expert-runner.port';

/** Texts that stop the session's running answer (trimmed, case-insensitive). */
const STOP_WORDS = new Set(['/stop', '停止']);

export function isStopCommand(text: string | undefined): boolean {
  return STOP_WORDS.has((text ?? '').trim().toLowerCase());
}

/** One run in progress: its controller, and the queue job it runs in (a stop recorded for that job finds it). */
interface RunningRun {
  controller: AbortController;
  jobId?: string;
}

/**
 * The expert runs in progress on this replica, by session key, each with the controller whose
 * signal the runner was given. `/stop` and End conversation abort it from the intake, at once — the
 * session's job queue would hold them behind the very run they mean to stop; StopBroadcast brings
 * the same stop here from the other replicas. Cancelling a session with no run here is a no-op, and
 * a run already aborted is not aborted (or counted) again, so repeating it is harmless.
 */
@Injectable()
export class RunCancellations {
  private readonly running = new Map<string, Set<RunningRun>>();
  private readonly stopped = new Map<string, number>();

  /** Call while a run starts; `release` when it ended, whatever the outcome. */
  register(sessionKey: string, jobId?: string): { signal: AbortSignal; release(): void } {
    const run: RunningRun = { controller: new AbortController(), ...(jobId ? { jobId } : {}) };
    const set = this.running.get(sessionKey) ?? new Set<RunningRun>();
    set.add(run);
    this.running.set(sessionKey, set);
    return {
      signal: run.controller.signal,
      release: () => {
        set.delete(run);
        if (set.size === 0 && this.running.get(sessionKey) === set) this.running.delete(sessionKey);
      },
    };
  }

  /** Aborts the session's runs on this replica; returns how many were running (and not stopped yet). */
  cancel(sessionKey: string): number {
    return this.abort(sessionKey, () => true);
  }

  /** Aborts the runs of these queue jobs (a stop recorded in the database); returns how many. */
  cancelJobs(jobIds: Iterable<string>): number {
    const wanted = new Set(jobIds);
    let total = 0;
    for (const sessionKey of [...this.running.keys()]) total += this.abort(sessionKey, (run) => run.jobId !== undefined && wanted.has(run.jobId));
    return total;
  }

  /** The queue jobs of the runs in progress here that no stop reached yet. */
  runningJobs(): string[] {
    const ids: string[] = [];
    for (const set of this.running.values()) for (const run of set) if (run.jobId && !run.controller.signal.aborted) ids.push(run.jobId);
    return ids;
  }

  isRunning(sessionKey: string): boolean {
    return (this.running.get(sessionKey)?.size ?? 0) > 0;
  }

  /** Runs stopped on this replica since start (the sandbox panel shows it). */
  stoppedCount(): number {
    let total = 0;
    for (const n of this.stopped.values()) total += n;
    return total;
  }

  private abort(sessionKey: string, which: (run: RunningRun) => boolean): number {
    const set = this.running.get(sessionKey);
    if (!set) return 0;
    let aborted = 0;
    for (const run of set) {
      if (run.controller.signal.aborted || !which(run)) continue;
      run.controller.abort();
      aborted += 1;
    }
    if (aborted > 0) this.stopped.set(sessionKey, (this.stopped.get(sessionKey) ?? 0) + aborted);
    return aborted;
  }
}
