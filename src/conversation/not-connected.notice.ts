import { t } from '../i18n';
import { OutboxRepository, type Queryable } from '../persistence';
import type { ReplyPort } from '../reply/reply.port';
import type { ReplyTarget } from '../kernel/run-context';
import { sendGatedNotice } from './gated-notice';

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
    const key = `notconnected:${sessionKey}:${Math.floor(this.now() / HOUR_MS)}`;
    return sendGatedNotice({ db: this.db, outbox: this.outbox, reply: this.reply }, target, { key, kind: 'not_connected_gate' }, t(target.language, 'reply.notConnected'));
  }
}
