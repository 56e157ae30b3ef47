import { t } from '../i18n';
import { OutboxRepository, type Queryable } from '../persistence';
import type { ReplyPort } from '../reply/reply.port';
import type { ReplyTarget } from '../kernel/run-context';

const HOUR_MS = 3600 * 1000;

/**
 * "This bot is not connected to an expert yet": said at most once per session per hour, however
 * many messages arrive. The outbox row `notconnected:<sessionKey>:<hour>` is the durable gate: it
 * is reserved before the notice and marked sent after it, so a retry after a failed send tries
 * again while a second message in the same hour stays quiet.
 */
export class NotConnectedNotice {
  private readonly outbox: OutboxRepository;

  constructor(
    private readonly db: Queryable,
    private readonly reply: ReplyPort,
    private readonly now: () => number,
  ) {
    this.outbox = new OutboxRepository(db);
  }

  /** Returns true when the notice was sent by this call. */
  async send(target: ReplyTarget, sessionKey: string): Promise<boolean> {
    const gateKey = `notconnected:${sessionKey}:${Math.floor(this.now() / HOUR_MS)}`;
    const { row } = await this.outbox.reserve(this.db, {
      idempotencyKey: gateKey,
      integrationId: target.integrationId,
      targetType: target.conversationType === 'group' ? 'group' : 'user',
      targetId: target.conversationId,
      messageKind: 'not_connected_gate',
    });
    if (row.status === 'sent') return false;
    // A key of its own, so the reply path's outbox row never collides with the gate row.
    await this.reply.notice(target, `${gateKey}:notice`, t(target.language, 'reply.notConnected'));
    await this.outbox.markSent(row.id, {});
    return true;
  }
}
