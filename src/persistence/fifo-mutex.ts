/**
 * A first-in-first-out async mutex. Each `run` starts only after every earlier `run` has settled, in
 * call order. Used in serial mode, where the database is one session (PGlite) and two transactions
 * must never interleave on it.
 */
export class FifoMutex {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** How many tasks are queued or running; handy for tests and for draining on close. */
  get pending(): number {
    return this.waiting;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting += 1;
    const result = this.tail.then(task);
    // The chain continues whether the task resolved or rejected; the caller sees the real outcome.
    this.tail = result.then(
      () => this.settle(),
      () => this.settle(),
    );
    return result;
  }

  private settle(): void {
    this.waiting -= 1;
  }
}
