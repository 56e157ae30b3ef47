import { logRef } from '../kernel/log-value';
import { decideAccess, readAccessSettings, subjectIdOf, type AccessSubject } from '../access/access-policy';
import { t } from '../i18n';
import { AccessRepository, OutboxRepository, type Queryable } from '../persistence';
import type { ReplyPort } from '../reply/reply.port';
import type { ReplyTarget } from '../kernel/run-context';
import type { RunnerLogger } from '../runner/expert-runner.port';
import { sendGatedNotice } from './gated-notice';
import type { StoredMessageEvent } from './job-payloads';
import type { Route } from './router';

const HOUR_MS = 3600 * 1000;

/**
 * The trigger's access settings at the door of a turn. A refused sender gets one notice naming
 * their id (so an admin can add it) — at most once per person per conversation per hour, gated by
 * an outbox row like the "not connected" notice — and the refusal is counted for the status route.
 * Nothing else happens: no session, no expert run.
 */
export class AccessGate {
  private readonly outbox: OutboxRepository;
  private readonly access: AccessRepository;

  constructor(
    private readonly db: Queryable,
    private readonly reply: ReplyPort,
    private readonly now: () => number,
    private readonly logger: RunnerLogger,
  ) {
    this.outbox = new OutboxRepository(db);
    this.access = new AccessRepository(db);
  }

  /** Returns true when the turn may go on. */
  async admit(integrationId: string, route: Route, event: StoredMessageEvent, target: ReplyTarget): Promise<boolean> {
    const at = new Date(this.now());
    if (event.conversationType === 'group') await this.access.rememberGroup(integrationId, event.conversationId, event.conversationTitle, at);
    // Only an enabled trigger's settings count; the integration's fallback expert is open.
    if (!route.trigger?.enabled) return true;
    const subject: AccessSubject = {
      conversationType: event.conversationType,
      conversationId: event.conversationId,
      senderId: event.senderId,
      ...(event.senderStaffId ? { senderStaffId: event.senderStaffId } : {}),
    };
    const decision = decideAccess(readAccessSettings(route.trigger.config), subject);
    if (decision.allowed) return true;

    const subjectId = subjectIdOf(subject);
    await this.access.recordRefusal({
      integrationId,
      conversationId: event.conversationId,
      conversationType: event.conversationType,
      subjectId,
      reason: decision.reason,
      ...(event.senderNick ? { senderNick: event.senderNick } : {}),
      eventId: event.eventId,
      at,
    });
    const sent = await this.notice(target, subjectId, decision.reason === 'group_not_selected');
    this.logger.log(`turn ${logRef(event.eventId)}: refused by the trigger's access settings (reason=${decision.reason}, notice ${sent ? 'sent' : 'already sent this hour'})`);
    return false;
  }

  private async notice(target: ReplyTarget, subjectId: string, groupRefused: boolean): Promise<boolean> {
    const key = `refused:${target.integrationId}:${target.conversationId}:${subjectId}:${Math.floor(this.now() / HOUR_MS)}`;
    const text = groupRefused
      ? t(target.language, 'access.refusedGroup', { id: subjectId, group: target.conversationId })
      : t(target.language, 'access.refused', { id: subjectId });
    return sendGatedNotice({ db: this.db, outbox: this.outbox, reply: this.reply }, target, { key, kind: 'access_refused_gate' }, text);
  }
}
