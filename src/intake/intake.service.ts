import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { WorkerService } from '../handoff/worker.service';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import { logRef, logValue } from '../kernel/log-value';
import { DingTalkError } from '../kernel/errors';
import type { InboxAcceptInput } from '../persistence/inbox.types';
import { IntakeSpool } from './spool-file';
import { failureLabel } from './spool-format';
import { PluginDatabase } from '../core/plugin-database.service';
import type { ActionEvent, InboundEvent, JobKind } from '../kernel/inbound-event';
import { InboxRepository, isRefusedRow, TriggerBindingRepository } from '../persistence';
import { groupSessionModeOf } from '../trigger/trigger-config';
import { robotMessageDropReason } from '../dingtalk/inbound';
import type { DingTalkIntegration } from '../kernel/integration';
import { judgeCardClick } from './card-click-gate';
import { sessionKeyFor, sharedGroupSessionKeyFor } from '../kernel/session-key';
import { isStopCommand, RunCancellations } from '../conversation/run-cancellations';
import { StopBroadcast } from '../conversation/stop-broadcast.service';
import { settledRunAt } from './arrival-settle';

export type IntakeOutcome =
  | { status: 'accepted'; jobId: string }
  | { status: 'duplicate' }
  | { status: 'spooled' }
  | { status: 'ignored'; reason: 'own_message' | 'not_mentioned' | 'verification' | 'invalid_action' }
  | { status: 'ignored'; reason: 'not_asker'; notice: string };

/**
 * The one door into the plugin for everything DingTalk hands us, whatever the transport: drop what
 * we must ignore, then write the inbox row and its job in ONE transaction. Callers acknowledge
 * DingTalk only after this resolved (stored before acked, P7); a duplicate event id resolves as
 * `duplicate` and does nothing more (P9).
 *
 * When the database cannot take the write, the event goes to the local spool instead (fsync'd
 * before this resolves) and is acknowledged all the same: DingTalk does not push robot messages
 * again, so refusing it would lose it. While anything is spooled, new events queue behind it in the
 * spool, so one chat's messages keep their order. Only a full or unwritable spool refuses (503).
 */
@Injectable()
export class IntakeService {
  private readonly inbox = new InboxRepository();
  private readonly logger = new Logger('DingTalkIntake');

  constructor(
    private readonly database: PluginDatabase,
    @Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig,
    @Optional() private readonly worker?: WorkerService,
    @Optional() @Inject(IntakeSpool) private readonly spool?: IntakeSpool | null,
    @Optional() @Inject(DINGTALK_CLOCK) private readonly now: () => number = Date.now,
    @Optional() private readonly cancellations?: RunCancellations,
    @Optional() private readonly stops?: StopBroadcast,
  ) {}

  /** A worker in this process picks new jobs up now instead of at its next poll. */
  notifyWorker(): void {
    this.worker?.notify();
  }

  async accept(integration: Pick<DingTalkIntegration, 'id' | 'options'>, event: InboundEvent | ActionEvent): Promise<IntakeOutcome> {
    if (event.kind === 'check_url') return { status: 'ignored', reason: 'verification' };
    if (event.kind === 'message') {
      const drop = robotMessageDropReason(event, { robotCode: integration.options.robotCode });
      if (drop === 'from_bot') return { status: 'ignored', reason: 'own_message' };
      if (drop === 'group_without_mention') return { status: 'ignored', reason: 'not_mentioned' };
    }
    if (event.kind === 'card_action') {
      const db = await this.database.open();
      const verdict = await judgeCardClick(db, integration, event, this.now());
      if (!verdict.pass) return verdict.reason === 'not_asker' ? { status: 'ignored', reason: 'not_asker', notice: verdict.notice } : { status: 'ignored', reason: verdict.reason };
    }
    const sharedGroup = event.kind === 'message' && event.conversationType === 'group' && (await this.groupSessionShared(integration.id));
    const inbound = toInboxRecord(integration.id, event, sharedGroup);
    // The arrival time orders the chat's jobs, whichever replica and path stores the event first.
    const arrivedAt = this.now();
    const record = { ...inbound, job: { ...inbound.job, maxAttempts: this.config.worker.maxAttempts, arrivedAt: new Date(arrivedAt) } };
    if (this.spool && this.spool.status().depth > 0) return this.toSpool(record, undefined);
    let result;
    try {
      const db = await this.database.open();
      result = await this.inbox.acceptGrouped(db, { ...record, job: { ...record.job, runAt: this.settledRunAt(arrivedAt) } });
    } catch (error) {
      // A row PostgreSQL refuses would be refused again at every drain: that is not an outage.
      if (!this.spool || isRefusedRow(error)) throw error;
      return this.toSpool(record, error);
    }
    // Stored first (so the command is answered even if this replica dies), then the running answer
    // is aborted at once, on whichever replica runs it: the session's queue would hold the command
    // behind that very run.
    const stops = stopTarget(event, record.job.sessionKey);
    if (stops) {
      if (this.stops) await this.stops.stop(stops);
      else this.cancellations?.cancel(stops);
    }
    if (result.accepted) this.notifyWorker();
    return result.accepted && result.jobId ? { status: 'accepted', jobId: result.jobId } : { status: 'duplicate' };
  }

  /** Held for a moment right after an outage: see settledRunAt. */
  settledRunAt(now: number): Date | undefined {
    const { isDown, recoveredAt } = this.database.availability;
    return settledRunAt({ now, down: isDown, recoveredAt, settleMs: this.config.spool.settleMs });
  }

  /**
   * Whether the integration's enabled trigger shares one session per group. Unreadable (database
   * away, the message about to be spooled): per user, the default.
   */
  private async groupSessionShared(integrationId: string): Promise<boolean> {
    try {
      const trigger = await new TriggerBindingRepository(await this.database.open()).findByIntegration(integrationId);
      return Boolean(trigger?.enabled) && groupSessionModeOf(trigger?.config) === 'shared';
    } catch {
      return false;
    }
  }

  private async toSpool(record: InboxAcceptInput, cause: unknown): Promise<IntakeOutcome> {
    try {
      await this.spool!.append(record);
    } catch (error) {
      const code = error instanceof DingTalkError ? error.code : 'dingtalk_spool_unwritable';
      this.logger.error(`intake refused event ${logRef(record.eventId)} of integration ${logValue(record.integrationId)}: database unavailable and spool not writable (code=${code})`);
      throw new DingTalkError('dingtalk_intake_unavailable', `Could not store the event: the database is unavailable and the spool refused it (${code}). Restore the database; check spool.dir.`, 503, { cause: code });
    }
    if (cause !== undefined) {
      // Whatever made the write fail, what is spooled now is stored late: hold what follows it.
      this.database.availability.noteDown();
      this.logger.warn(`intake spooled event ${logRef(record.eventId)} of integration ${logValue(record.integrationId)}: database write failed (${failureLabel(cause)})`);
    }
    return { status: 'spooled' };
  }
}

/** The session whose running answer this event stops: `/stop` / `停止`, or End conversation. */
function stopTarget(event: InboundEvent | ActionEvent, sessionKey: string | undefined): string | undefined {
  if (event.kind === 'message' && isStopCommand(event.text)) return sessionKey;
  if (event.kind === 'action' && event.action === 'dingtalk:end') return event.sessionKey;
  return undefined;
}


function toInboxRecord(integrationId: string, event: Exclude<InboundEvent, { kind: 'check_url' }> | ActionEvent, sharedGroup = false) {
  switch (event.kind) {
    case 'message': {
      const { raw: _raw, ...message } = event;
      const sessionKey = sharedGroup ? sharedGroupSessionKeyFor(integrationId, event.conversationId) : sessionKeyFor(integrationId, event);
      return {
        integrationId,
        eventId: event.eventId,
        kind: 'message',
        conversationId: event.conversationId,
        senderId: event.senderStaffId || event.senderId,
        job: { kind: 'message' as JobKind, sessionKey, payload: { integrationId, event: message } },
      };
    }
    case 'card_action': {
      const { raw: _raw, ...action } = event;
      return { integrationId, eventId: event.eventId, kind: 'card_action', senderId: event.userId, job: { kind: 'card_action' as JobKind, payload: { integrationId, event: action } } };
    }
    case 'action':
      return {
        integrationId,
        eventId: event.eventId,
        kind: 'action',
        job: { kind: actionJobKind(event.action), sessionKey: event.sessionKey, payload: { integrationId, event } },
      };
    case 'platform_event':
      return { integrationId, eventId: event.eventId, kind: 'platform_event', job: { kind: 'platform_event' as JobKind, payload: { integrationId, event } } };
  }
}

/** Signed-link actions: end the session, or answer a pending confirmation (resume); others go to card_action. */
function actionJobKind(action: string): JobKind {
  if (action === 'dingtalk:end') return 'end_session';
  if (action === 'dingtalk:confirm' || action === 'dingtalk:reject') return 'resume';
  return 'card_action';
}
