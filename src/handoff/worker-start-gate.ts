/**
 * What must happen before this process's worker claims its first job. A holder registers at
 * construction (before any boot hook runs), so the worker never starts ahead of it; the worker
 * awaits `ready()`. Today the only holder is the intake spool's boot drain: events this replica
 * acknowledged while the database was down get their jobs before it takes anyone else's work.
 */
export class WorkerStartGate {
  private readonly holds: Promise<unknown>[] = [];

  hold(done: Promise<unknown>): void {
    this.holds.push(done.catch(() => undefined));
  }

  async ready(): Promise<void> {
    await Promise.all(this.holds);
  }
}
