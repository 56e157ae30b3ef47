import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { requireText } from './invalid-argument';
import { jsonParam } from './sql-values';

/**
 * A run that stopped for human confirmation. `id` is what the signed Confirm/Reject links carry; the
 * rest is what the resume needs (which expert and thread, and the host's operation to answer).
 */
export interface PendingInterruptRecord {
  id: string;
  xpertId: string;
  threadId: string;
  operation: unknown;
  prompt: string;
  /** ISO time the interrupt was recorded. */
  createdAt: string;
}

export interface ConversationState<T = unknown> {
  replyTarget: T | null;
  pendingInterrupt: PendingInterruptRecord | null;
}

const T = TABLES.conversationBinding;

/**
 * The conversation engine's extra per-session state (migration 0002), kept on the session row so it
 * lives and dies with the session. Writes for one session come from that session's jobs, which the
 * queue runs one at a time.
 */
export class ConversationStateRepository {
  constructor(private readonly db: Queryable) {}

  async get<T = unknown>(sessionKey: string): Promise<ConversationState<T> | null> {
    const rows = await this.db.query<{ reply_target: unknown; pending_interrupt: unknown }>(
      `SELECT reply_target, pending_interrupt FROM ${T} WHERE session_key = $1`,
      [sessionKey],
    );
    if (rows.length !== 1) return null;
    return {
      replyTarget: (rows[0].reply_target ?? null) as T | null,
      pendingInterrupt: (rows[0].pending_interrupt ?? null) as PendingInterruptRecord | null,
    };
  }

  /** Where the session's answers go; refreshed with every message (webhooks expire). */
  async setReplyTarget(sessionKey: string, target: unknown): Promise<boolean> {
    requireText('sessionKey', sessionKey);
    const rows = await this.db.query(`UPDATE ${T} SET reply_target = $2::jsonb WHERE session_key = $1 RETURNING id`, [
      sessionKey,
      jsonParam(target),
    ]);
    return rows.length === 1;
  }

  /** Replaces (or with null, drops) the pending interrupt of the session. */
  async setPendingInterrupt(sessionKey: string, interrupt: PendingInterruptRecord | null): Promise<boolean> {
    requireText('sessionKey', sessionKey);
    const rows = await this.db.query(`UPDATE ${T} SET pending_interrupt = $2::jsonb WHERE session_key = $1 RETURNING id`, [
      sessionKey,
      jsonParam(interrupt),
    ]);
    return rows.length === 1;
  }

  /** Drops the pending interrupt only if it is still the one with `id` (a newer one stays). */
  async clearPendingInterrupt(sessionKey: string, id: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE ${T} SET pending_interrupt = NULL WHERE session_key = $1 AND pending_interrupt->>'id' = $2 RETURNING id`,
      [sessionKey, id],
    );
    return rows.length === 1;
  }
}
