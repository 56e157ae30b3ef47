import { Inject, Injectable, Optional } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { WorkerService } from '../handoff/worker.service';
import { DINGTALK_PLUGIN_CONFIG } from '../tokens';
import { PluginDatabase } from '../core/plugin-database.service';
import type { InboundEvent } from '../dingtalk/inbound-event';
import { InboxRepository, TriggerBindingRepository, type Queryable } from '../persistence';
import { groupSessionModeOf } from '../trigger/trigger-config';
import { robotMessageDropReason } from '../dingtalk/inbound';
import type { DingTalkIntegration } from './integration-resolver';
import { sessionKeyFor, sharedGroupSessionKeyFor } from './session-key';
import { isStopCommand, RunCancellations } from '../conversation/run-cancellations';

export type JobKind = 'message' | 'card_action' | 'platform_event' | 'end_session' | 'resume';

/** A signed end-session (or confirm/reject) link that was opened: it takes the same path as events. */
export interface ActionEvent {
  kind: 'action';
  eventId: string;
  action: string;
  sessionKey: string;
  params: Record<string, string>;
}

export type IntakeOutcome =
  | { status: 'accepted'; jobId: string }
  | { status: 'duplicate' }
  | { status: 'ignored'; reason: 'own_message' | 'not_mentioned' | 'verification' };

/**
 * The one door into the plugin for everything DingTalk hands us, whatever the transport: drop what
 * we must ignore, then write the inbox row and its job in ONE transaction. Callers acknowledge
 * DingTalk only after this resolved (stored before acked, P7); a duplicate event id resolves as
 * `duplicate` and does nothing more (P9).
 */
@Injectable()
export class IntakeService {
  private readonly inbox = new InboxRepository();

  constructor(
    private readonly database: PluginDatabase,
    @Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig,
    @Optional() private readonly worker?: WorkerService,
    @Optional() private readonly cancellations?: RunCancellations,
  ) {}

  async accept(integration: Pick<DingTalkIntegration, 'id' | 'options'>, event: InboundEvent | ActionEvent): Promise<IntakeOutcome> {
    if (event.kind === 'check_url') return { status: 'ignored', reason: 'verification' };
    if (event.kind === 'message') {
      const drop = robotMessageDropReason(event, { robotCode: integration.options.robotCode });
      if (drop === 'from_bot') return { status: 'ignored', reason: 'own_message' };
      if (drop === 'group_without_mention') return { status: 'ignored', reason: 'not_mentioned' };
    }
    const db = await this.database.open();
    const sharedGroup = event.kind === 'message' && event.conversationType === 'group' && (await groupSessionShared(db, integration.id));
    const inbound = toInboxRecord(integration.id, event, sharedGroup);
    const record = { ...inbound, job: { ...inbound.job, maxAttempts: this.config.worker.maxAttempts } };
    const result = await this.inbox.acceptAtomic(db, record);
    // Stored first (so the command is answered even if this replica dies), then the running answer
    // is aborted at once: the session's queue would hold the command behind that very run.
    const stops = stopTarget(event, record.job.sessionKey);
    if (stops) this.cancellations?.cancel(stops);
    // A worker in this process picks the job up now instead of at its next poll.
    if (result.accepted) this.worker?.notify();
    return result.accepted && result.jobId ? { status: 'accepted', jobId: result.jobId } : { status: 'duplicate' };
  }
}

/** The session whose running answer this event stops: `/stop` / `停止`, or End conversation. */
function stopTarget(event: InboundEvent | ActionEvent, sessionKey: string | undefined): string | undefined {
  if (event.kind === 'message' && isStopCommand(event.text)) return sessionKey;
  if (event.kind === 'action' && event.action === 'dingtalk:end') return event.sessionKey;
  return undefined;
}

/** Whether the integration's enabled trigger shares one session per group. */
async function groupSessionShared(db: Queryable, integrationId: string): Promise<boolean> {
  const trigger = await new TriggerBindingRepository(db).findByIntegration(integrationId);
  return Boolean(trigger?.enabled) && groupSessionModeOf(trigger?.config) === 'shared';
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
