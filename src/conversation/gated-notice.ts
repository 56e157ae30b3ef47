import { OutboxRepository, type Queryable } from '../persistence';
import type { ReplyPort } from '../reply/reply.port';
import type { ReplyTarget } from '../kernel/run-context';

/**
 * A notice said at most once per gate key (callers put the hour in it), however many messages
 * arrive. The gate's outbox row is reserved before the notice and marked sent after it, so a retry
 * after a failed send tries again while a later message in the same window stays quiet.
 * Returns true when this call sent it.
 */
export async function sendGatedNotice(
  deps: { db: Queryable; outbox: OutboxRepository; reply: ReplyPort },
  target: ReplyTarget,
  gate: { key: string; kind: string },
  text: string,
): Promise<boolean> {
  const { row } = await deps.outbox.reserve(deps.db, {
    idempotencyKey: gate.key,
    integrationId: target.integrationId,
    targetType: target.conversationType === 'group' ? 'group' : 'user',
    targetId: target.conversationId,
    messageKind: gate.kind,
  });
  if (row.status === 'sent') return false;
  // A key of its own, so the reply path's outbox row never collides with the gate row.
  await deps.reply.notice(target, `${gate.key}:notice`, text);
  await deps.outbox.markSent(row.id, {});
  return true;
}
