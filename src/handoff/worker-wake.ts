/**
 * The doorbell of this process's worker: whoever just enqueued a job rings it so the job does not
 * wait for the next poll. It exists so that the job handlers (which the worker is built from) can
 * wake the worker without depending on it — that dependency would be a cycle.
 */
export class WorkerWake {
  private readonly listeners = new Set<() => void>();

  /** The worker registers here; returns the unregister function. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** No listener (worker disabled or not in this process): the poll — or another replica — runs the job. */
  ring(): void {
    for (const listener of this.listeners) listener();
  }
}
