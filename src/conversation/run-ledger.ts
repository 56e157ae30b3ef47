import { OutboxRepository, type Queryable } from '../persistence';
import type { ReplyTarget } from '../kernel/run-context';
import type { ExpertRunResult } from '../runner/expert-runner.port';

export interface LedgerEntry {
  rowId: string;
  /** Set when an earlier attempt of the same turn already ran the expert to the end. */
  result?: ExpertRunResult;
}

export interface RunLedgerOptions {
  /** How long `record` keeps trying while the database does not answer (a restart, a failover). */
  recordPatienceMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const DEFAULT_RECORD_PATIENCE_MS = 30_000;
const FIRST_PAUSE_MS = 200;
const MAX_PAUSE_MS = 1_000;

/**
 * Remembers that a turn's expert run completed (outbox row `run:<key>`, its result stored with it),
 * so a job retried AFTER the run — e.g. because sending the answer failed — finishes the reply from
 * the stored result instead of asking the expert a second time (the runner port: once the host
 * accepted a turn, a blind retry would answer it twice). A run interrupted mid-way leaves a pending
 * row, and the retry runs it again: nothing says the host finished it.
 */
export class RunLedger {
  private readonly outbox: OutboxRepository;
  private readonly patienceMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly db: Queryable,
    options: RunLedgerOptions = {},
  ) {
    this.outbox = new OutboxRepository(db);
    this.patienceMs = options.recordPatienceMs ?? DEFAULT_RECORD_PATIENCE_MS;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  async lookup(key: string, target: ReplyTarget): Promise<LedgerEntry> {
    const { row } = await this.outbox.reserve(this.db, {
      idempotencyKey: `run:${key}`,
      integrationId: target.integrationId,
      targetType: target.conversationType === 'group' ? 'group' : 'user',
      targetId: target.conversationId,
      messageKind: 'expert_run',
    });
    const result = row.status === 'sent' ? toResult(row.result) : undefined;
    return result ? { rowId: row.id, result } : { rowId: row.id };
  }

  /** The stored result of a completed run of `key`, without reserving anything. */
  async completed(key: string): Promise<ExpertRunResult | undefined> {
    const row = await this.outbox.findByKey(`run:${key}`);
    return row?.status === 'sent' ? toResult(row.result) : undefined;
  }

  /**
   * Stores a finished run's result. The expert's answer exists only in memory here, and a job
   * failed now would ask the expert again, so a database that is briefly away (a restart) is waited
   * for, within `recordPatienceMs`, instead of failing the job at once.
   */
  async record(entry: LedgerEntry, result: ExpertRunResult, signal?: AbortSignal): Promise<void> {
    const started = this.now();
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(MAX_PAUSE_MS, pause * 2)) {
      try {
        await this.outbox.markSent(entry.rowId, { result });
        return;
      } catch (error) {
        if (signal?.aborted || this.now() - started + pause > this.patienceMs) throw error;
        await this.sleep(pause);
      }
    }
  }
}

function toResult(value: unknown): ExpertRunResult | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const result = value as ExpertRunResult;
  return typeof result.status === 'string' && typeof result.text === 'string' ? result : undefined;
}
