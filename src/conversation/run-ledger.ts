import { OutboxRepository, type Queryable } from '../persistence';
import type { ReplyTarget } from '../reply/reply.port';
import type { ExpertRunResult } from '../runner/expert-runner.port';

export interface LedgerEntry {
  rowId: string;
  /** Set when an earlier attempt of the same turn already ran the expert to the end. */
  result?: ExpertRunResult;
}

/**
 * Remembers that a turn's expert run completed (outbox row `run:<key>`, its result stored with it),
 * so a job retried AFTER the run — e.g. because sending the answer failed — finishes the reply from
 * the stored result instead of asking the expert a second time (the runner port: once the host
 * accepted a turn, a blind retry would answer it twice). A run interrupted mid-way leaves a pending
 * row, and the retry runs it again: nothing says the host finished it.
 */
export class RunLedger {
  private readonly outbox: OutboxRepository;

  constructor(private readonly db: Queryable) {
    this.outbox = new OutboxRepository(db);
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

  async record(entry: LedgerEntry, result: ExpertRunResult): Promise<void> {
    await this.outbox.markSent(entry.rowId, { result });
  }
}

function toResult(value: unknown): ExpertRunResult | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const result = value as ExpertRunResult;
  return typeof result.status === 'string' && typeof result.text === 'string' ? result : undefined;
}
