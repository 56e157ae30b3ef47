import type { DingTalkClient } from '../dingtalk/client';
import type { AppBudgetRepository } from '../persistence/app-budget.repository';
import { joinDelayMs, shareNow, staleAfterMs, type BudgetTiming } from './app-budget';

export interface BudgetHeartbeatDeps {
  repository: () => Promise<AppBudgetRepository>;
  replicaId: string;
  /** Every client of this process (one per app). */
  clients: () => Iterable<DingTalkClient>;
  timing: BudgetTiming;
  now: () => number;
  logger: { debug(message: string): void; warn(message: string): void };
}

/**
 * This replica's membership in the budgets of the apps it calls: each beat records it as live and
 * sets every client's share. When the database does not answer, the shares stay as they were.
 */
export class BudgetHeartbeat {
  /** Per app: undefined = joined alone (no wait); a number = no calls before then. */
  private readonly waitUntil = new Map<string, number | undefined>();
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private again = false;
  private joined = false;

  constructor(private readonly deps: BudgetHeartbeatDeps) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.deps.timing.heartbeatMs);
    this.timer.unref();
    void this.beat();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    if (!this.joined) return;
    // Leaving at once lets the others take this share without waiting for it to go stale.
    await this.deps
      .repository()
      .then((repository) => repository.leave(this.deps.replicaId))
      .catch(() => undefined);
  }

  /** A client just created: it makes no call before its first beat told it its share. */
  track(client: DingTalkClient): void {
    if (!this.waitUntil.has(client.clientId)) client.setApiShare(0); // a no-op on an unlimited client
    void this.beat();
  }

  /** One heartbeat (also called directly by tests); one asked for while one runs follows it. */
  beat(): Promise<void> {
    if (this.beating) {
      this.again = true;
      return this.beating;
    }
    this.beating = this.run().finally(() => {
      this.beating = undefined;
      if (this.again) {
        this.again = false;
        void this.beat();
      }
    });
    return this.beating;
  }

  private async run(): Promise<void> {
    // Every client heartbeats (it also says this replica lives); only limited ones take shares.
    const all = [...this.deps.clients()];
    const clients = all.filter((c) => Number.isFinite(c.apiLimitPerSecond) && c.apiLimitPerSecond > 0);
    if (all.length === 0) return;
    let members: Map<string, number>;
    try {
      const repository = await this.deps.repository();
      this.joined = true;
      members = await repository.heartbeat(this.deps.replicaId, [...new Set(all.map((c) => c.clientId))], staleAfterMs(this.deps.timing.heartbeatMs));
    } catch (error) {
      this.deps.logger.warn(`DingTalk API budget heartbeat failed (${(error as Error).message}); keeping the current shares`);
      return;
    }
    const now = this.deps.now();
    for (const c of clients) {
      const count = members.get(c.clientId) ?? 1;
      if (!this.waitUntil.has(c.clientId)) this.waitUntil.set(c.clientId, count > 1 ? now + joinDelayMs(this.deps.timing) : undefined);
      const share = shareNow({ limit: c.apiLimitPerSecond, members: count, waitUntil: this.waitUntil.get(c.clientId), now });
      if (share !== c.apiShare) this.deps.logger.debug(`DingTalk app ${c.clientId}: ${share} calls/s per API for this replica (${count} sharing)`);
      c.setApiShare(share);
    }
  }
}
