import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { requireText } from './invalid-argument';
import { toDate, toNumber, toStringOrNull } from './sql-values';

export interface RefusalInput {
  integrationId: string;
  conversationId: string;
  conversationType: 'private' | 'group';
  subjectId: string;
  reason: string;
  senderNick?: string;
  eventId: string;
  at: Date;
}

export interface RefusalRecord {
  conversationId: string;
  conversationType: string;
  subjectId: string;
  reason: string;
  senderNick: string | null;
  count: number;
  firstRefusedAt: Date;
  lastRefusedAt: Date;
}

export interface SeenGroup {
  conversationId: string;
  title: string | null;
  lastSeenAt: Date;
}

const R = TABLES.accessRefusal;
const G = TABLES.seenGroup;

/** Refused senders (for the status route) and the groups the bot has seen (for the trigger's group list). */
export class AccessRepository {
  constructor(private readonly db: Queryable) {}

  /** Counts one refused message; the same message again (a retried job) is not counted twice. */
  async recordRefusal(input: RefusalInput): Promise<void> {
    requireText('integrationId', input.integrationId);
    requireText('subjectId', input.subjectId);
    await this.db.query(
      `INSERT INTO ${R} (integration_id, conversation_id, subject_id, conversation_type, reason, sender_nick, refused_count, last_event_id, first_refused_at, last_refused_at)
       VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8::timestamptz, $8::timestamptz)
       ON CONFLICT (integration_id, conversation_id, subject_id) DO UPDATE
          SET refused_count = ${R}.refused_count + CASE WHEN ${R}.last_event_id = EXCLUDED.last_event_id THEN 0 ELSE 1 END,
              reason = EXCLUDED.reason,
              conversation_type = EXCLUDED.conversation_type,
              sender_nick = COALESCE(EXCLUDED.sender_nick, ${R}.sender_nick),
              last_event_id = EXCLUDED.last_event_id,
              last_refused_at = GREATEST(${R}.last_refused_at, EXCLUDED.last_refused_at)`,
      [input.integrationId, input.conversationId, input.subjectId, input.conversationType, input.reason, input.senderNick ?? null, input.eventId, input.at.toISOString()],
    );
  }

  /** The most recent refusals of an integration, and how many refused messages in all. */
  async refusals(integrationId: string, limit = 20): Promise<{ total: number; recent: RefusalRecord[] }> {
    const [sum] = await this.db.query(`SELECT COALESCE(SUM(refused_count), 0) AS total FROM ${R} WHERE integration_id = $1`, [integrationId]);
    const rows = await this.db.query(
      `SELECT conversation_id, conversation_type, subject_id, reason, sender_nick, refused_count, first_refused_at, last_refused_at
         FROM ${R} WHERE integration_id = $1 ORDER BY last_refused_at DESC LIMIT $2`,
      [integrationId, limit],
    );
    return {
      total: toNumber(sum?.total ?? 0),
      recent: rows.map((row: Record<string, unknown>) => ({
        conversationId: String(row.conversation_id),
        conversationType: String(row.conversation_type),
        subjectId: String(row.subject_id),
        reason: String(row.reason),
        senderNick: toStringOrNull(row.sender_nick),
        count: toNumber(row.refused_count),
        firstRefusedAt: toDate(row.first_refused_at),
        lastRefusedAt: toDate(row.last_refused_at),
      })),
    };
  }

  async rememberGroup(integrationId: string, conversationId: string, title: string | undefined, at: Date): Promise<void> {
    requireText('integrationId', integrationId);
    requireText('conversationId', conversationId);
    await this.db.query(
      `INSERT INTO ${G} (integration_id, conversation_id, title, last_seen_at) VALUES ($1, $2, $3, $4::timestamptz)
       ON CONFLICT (integration_id, conversation_id) DO UPDATE
          SET title = COALESCE(EXCLUDED.title, ${G}.title), last_seen_at = GREATEST(${G}.last_seen_at, EXCLUDED.last_seen_at)`,
      [integrationId, conversationId, title || null, at.toISOString()],
    );
  }

  async groups(integrationId: string, limit = 200): Promise<SeenGroup[]> {
    const rows = await this.db.query(`SELECT conversation_id, title, last_seen_at FROM ${G} WHERE integration_id = $1 ORDER BY last_seen_at DESC LIMIT $2`, [integrationId, limit]);
    return rows.map((row: Record<string, unknown>) => ({ conversationId: String(row.conversation_id), title: toStringOrNull(row.title), lastSeenAt: toDate(row.last_seen_at) }));
  }
}
