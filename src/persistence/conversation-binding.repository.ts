import { randomUUID } from 'node:crypto';
import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { requirePositiveInteger, requireText } from './invalid-argument';
import { jsonParam, toDate, toDateOrNull } from './sql-values';

export interface ConversationBinding {
  id: string;
  sessionKey: string;
  integrationId: string;
  conversationId: string;
  senderId: string;
  xpertId: string;
  /** The expert-side conversation / thread id that carries this session's history. */
  threadId: string;
  /** The host conversation a dispatched session continues (learnt from its first run); null before. */
  xpertConversationId: string | null;
  lastActiveAt: Date;
  endedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StartSessionInput {
  integrationId: string;
  conversationId: string;
  senderId: string;
  xpertId: string;
  /** Defaults to a new uuid: a deterministic, fresh thread id for the threads API. */
  threadId?: string;
  now?: Date;
  /**
   * Where the session's answers go (migration 0002's `reply_target`), written in the same statement.
   * Undefined leaves the column alone on a restarted key; a new session always starts with no
   * pending interrupt (a new thread cannot resume the old thread's confirmation).
   */
  replyTarget?: unknown;
}

const T = TABLES.conversationBinding;
const COLUMNS = `id, session_key, integration_id, conversation_id, sender_id, xpert_id, thread_id, last_active_at,
  ended_at, created_at, updated_at, xpert_conversation_id`;

/**
 * Session key (integration:conversation:sender) → expert thread. Whether a session is still live
 * (ended, or idle past the trigger's timeout) is the sessions service's decision; this class only
 * stores the facts. Writes for one session come from that session's jobs, which the queue runs one
 * at a time, so no two writers race on a key.
 */
export class ConversationBindingRepository {
  constructor(private readonly db: Queryable) {}

  async get(sessionKey: string): Promise<ConversationBinding | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${T} WHERE session_key = $1`, [sessionKey]);
    return rows.length === 1 ? toBinding(rows[0]) : null;
  }

  /** Starts a fresh session on the key: a new thread, active now, not ended. Replaces any earlier one. */
  async start(sessionKey: string, input: StartSessionInput): Promise<ConversationBinding> {
    requireText('sessionKey', sessionKey);
    requireText('xpertId', input.xpertId);
    const rows = await this.db.query(
      `INSERT INTO ${T} (session_key, integration_id, conversation_id, sender_id, xpert_id, thread_id, last_active_at,
                         ended_at, created_at, updated_at, reply_target, pending_interrupt)
       VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, NULL, $7::timestamptz, $7::timestamptz, $8::jsonb, NULL)
       ON CONFLICT (session_key) DO UPDATE
          SET integration_id = EXCLUDED.integration_id,
              conversation_id = EXCLUDED.conversation_id,
              sender_id = EXCLUDED.sender_id,
              xpert_id = EXCLUDED.xpert_id,
              thread_id = EXCLUDED.thread_id,
              xpert_conversation_id = NULL,
              last_active_at = EXCLUDED.last_active_at,
              ended_at = NULL,
              updated_at = EXCLUDED.updated_at,
              reply_target = CASE WHEN $9::boolean THEN EXCLUDED.reply_target ELSE ${T}.reply_target END,
              pending_interrupt = NULL
       RETURNING ${COLUMNS}`,
      [
        sessionKey,
        input.integrationId,
        input.conversationId,
        input.senderId,
        input.xpertId,
        input.threadId ?? randomUUID(),
        input.now ?? new Date(),
        input.replyTarget === undefined ? null : jsonParam(input.replyTarget),
        input.replyTarget !== undefined,
      ],
    );
    return toBinding(rows[0]);
  }

  /** Records the thread id the expert side assigned (e.g. the chat API's conversation id). */
  async setThread(sessionKey: string, threadId: string): Promise<boolean> {
    const rows = await this.db.query(`UPDATE ${T} SET thread_id = $2, updated_at = now() WHERE session_key = $1 RETURNING id`, [
      sessionKey,
      threadId,
    ]);
    return rows.length === 1;
  }

  /**
   * Records the host conversation of the session's thread; ignored when the session has moved on to
   * another thread since (a late answer of an ended session must not steer the new one).
   */
  async setXpertConversationId(sessionKey: string, threadId: string, xpertConversationId: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE ${T} SET xpert_conversation_id = $3, updated_at = now()
        WHERE session_key = $1 AND thread_id = $2 AND xpert_conversation_id IS DISTINCT FROM $3 RETURNING id`,
      [sessionKey, threadId, xpertConversationId],
    );
    return rows.length === 1;
  }

  /**
   * Marks the session active at `now`; false when there is no live session on the key. With a
   * `replyTarget`, the newest message's reply target is stored in the same statement.
   */
  async touch(sessionKey: string, now: Date, replyTarget?: unknown): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE ${T} SET last_active_at = GREATEST(last_active_at, $2::timestamptz), updated_at = $2::timestamptz,
              reply_target = CASE WHEN $4::boolean THEN $3::jsonb ELSE reply_target END
        WHERE session_key = $1 AND ended_at IS NULL RETURNING id`,
      [sessionKey, now, replyTarget === undefined ? null : jsonParam(replyTarget), replyTarget !== undefined],
    );
    return rows.length === 1;
  }

  /** Ends the session (end-session action, idle timeout); the next message starts a new thread. */
  async end(sessionKey: string, now: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE ${T} SET ended_at = $2::timestamptz, updated_at = $2::timestamptz
        WHERE session_key = $1 AND ended_at IS NULL RETURNING id`,
      [sessionKey, now],
    );
    return rows.length === 1;
  }

  /** Most recently active sessions first. */
  async list(limit = 100): Promise<ConversationBinding[]> {
    requirePositiveInteger('limit', limit, 1000);
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${T} ORDER BY last_active_at DESC LIMIT $1`, [limit]);
    return rows.map(toBinding);
  }
}

function toBinding(row: Record<string, unknown>): ConversationBinding {
  return {
    id: String(row.id),
    sessionKey: String(row.session_key),
    integrationId: String(row.integration_id),
    conversationId: String(row.conversation_id),
    senderId: String(row.sender_id),
    xpertId: String(row.xpert_id),
    threadId: String(row.thread_id),
    xpertConversationId: row.xpert_conversation_id === null || row.xpert_conversation_id === undefined ? null : String(row.xpert_conversation_id),
    lastActiveAt: toDate(row.last_active_at),
    endedAt: toDateOrNull(row.ended_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** The column list its queries select; the schema-agreement test checks it against the entity. */
export { COLUMNS as CONVERSATION_BINDING_COLUMNS };
