import { Injectable } from '@nestjs/common';

export { RUN_STOPPED_CODE } from '../runner/expert-runner.port';

/** Texts that stop the session's running answer (trimmed, case-insensitive). */
const STOP_WORDS = new Set(['/stop', '停止']);

export function isStopCommand(text: string | undefined): boolean {
  return STOP_WORDS.has((text ?? '').trim().toLowerCase());
}

/**
 * The expert runs in progress on this replica, by session key, each with the controller whose
 * signal the runner was given. `/stop` and End conversation abort it from the intake, at once — the
 * session's job queue would hold them behind the very run they mean to stop. Cancelling a session
 * with no run here is a no-op, so repeating it is harmless.
 */
@Injectable()
export class RunCancellations {
  private readonly running = new Map<string, Set<AbortController>>();
  private readonly stopped = new Map<string, number>();

  /** Call while a run starts; `release` when it ended, whatever the outcome. */
  register(sessionKey: string): { signal: AbortSignal; release(): void } {
    const controller = new AbortController();
    const set = this.running.get(sessionKey) ?? new Set<AbortController>();
    set.add(controller);
    this.running.set(sessionKey, set);
    return {
      signal: controller.signal,
      release: () => {
        set.delete(controller);
        if (set.size === 0 && this.running.get(sessionKey) === set) this.running.delete(sessionKey);
      },
    };
  }

  /** Aborts the session's runs on this replica; returns how many were running. */
  cancel(sessionKey: string): number {
    const set = this.running.get(sessionKey);
    if (!set || set.size === 0) return 0;
    for (const controller of set) controller.abort();
    this.stopped.set(sessionKey, (this.stopped.get(sessionKey) ?? 0) + set.size);
    return set.size;
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
}
