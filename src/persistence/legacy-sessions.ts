import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { LEGACY_009_TABLES } from './legacy-tables';

/**
 * Sessions carried over from the earlier 0.0.9 plugin keep 0.0.9's key, whose last part may be
 * the encrypted sender id where ours prefers the staff id. The first message of such a person moves
 * the session onto our key, so it continues instead of starting afresh. Only databases that went
 * through that upgrade (the legacy table exists) pay for the extra statement; the answer is
 * remembered per database, as that table appears only while migrating, before any traffic.
 */
const upgraded = new WeakMap<object, Promise<boolean>>();

function cameFrom009(db: Queryable): Promise<boolean> {
  let known = upgraded.get(db);
  if (!known) {
    known = db
      .query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [LEGACY_009_TABLES.conversationBinding])
      .then((rows) => rows[0]?.present === true);
    // A failed check is asked again next time rather than remembered.
    known.catch(() => upgraded.delete(db));
    upgraded.set(db, known);
  }
  return known;
}

/**
 * Moves the session on `earlierKey` to `sessionKey` (and `senderId`), unless `sessionKey` already
 * has one. True when a session was moved.
 */
export async function adoptEarlierSession(db: Queryable, input: { sessionKey: string; earlierKey: string; senderId: string }): Promise<boolean> {
  if (input.earlierKey === input.sessionKey) return false;
  if (!(await cameFrom009(db))) return false;
  const rows = await db.query(
    `UPDATE ${TABLES.conversationBinding} SET session_key = $2, sender_id = $3, updated_at = now()
      WHERE session_key = $1 AND NOT EXISTS (SELECT 1 FROM ${TABLES.conversationBinding} WHERE session_key = $2)
      RETURNING id`,
    [input.earlierKey, input.sessionKey, input.senderId],
  );
  return rows.length === 1;
}
