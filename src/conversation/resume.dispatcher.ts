import { logRef } from '../kernel/log-value';
import { t } from '../i18n';
import type { DingTalkIntegration } from '../kernel/integration';
import type { ReplyTarget } from '../kernel/run-context';
import { sessionTimeoutOf } from '../trigger/trigger-config';
import type { ConversationCore } from './conversation.deps';
import { toRunContext } from '../kernel/run-context';
import { chooseRunner } from './runner-choice';
import { dispatchTurn } from './turn-dispatch';
import { runStreamedTurn, withLastAttemptNotice } from './turn-reply';

export interface ResumeRequest {
  integration: DingTalkIntegration;
  sessionKey: string;
  /** The action's event id: the idempotency key of this answer. */
  eventId: string;
  decision: 'confirm' | 'reject';
  /** Which interrupted run the link was made for. */
  interruptId: string;
  lastAttempt: boolean;
  signal?: AbortSignal;
}

export type ResumeOutcome = 'resumed' | 'rejected' | 'stale' | 'no_session';

/**
 * Confirm / Reject of an interrupted run. The decision is sent to the expert as a resume of the
 * same thread (the answer streams through the reply port like any turn), after the decision is
 * acknowledged (`reply.confirmedAck` / `reply.rejected`) so the chat reads in order. A link for an interrupt that is no longer pending (answered already, session
 * ended or timed out, a newer question asked) changes nothing and says so.
 */
export class ResumeDispatcher {
  constructor(private readonly core: ConversationCore) {}

  async resume(request: ResumeRequest): Promise<ResumeOutcome> {
    const { core } = this;
    const { integration, sessionKey, eventId } = request;
    const state = await core.state.get<ReplyTarget>(sessionKey);
    const target = state?.replyTarget;
    if (!target) {
      core.logger.warn(`resume ${logRef(eventId)}: no session to answer in; ignored`);
      return 'no_session';
    }
    // A retry after the expert already answered this decision finishes that reply only.
    const answered = await core.ledger.completed(eventId);
    const pending = state.pendingInterrupt;
    const trigger = await core.router.trigger(integration.id);
    const binding = await core.sessions.live(sessionKey, sessionTimeoutOf(trigger?.config));
    const current = pending && pending.id === request.interruptId && binding && binding.threadId === pending.threadId;
    if (!answered && !current) return this.stale(target, eventId);

    const xpertId = pending?.xpertId ?? binding?.xpertId;
    const threadId = pending?.threadId ?? binding?.threadId;
    if (!xpertId || !threadId) return this.stale(target, eventId);

    return withLastAttemptNotice(core, { target, key: eventId, lastAttempt: request.lastAttempt, signal: request.signal }, async () => {
      const choice = await chooseRunner(core, xpertId, trigger, toRunContext(target, eventId), integration);
      if (choice.delivery === 'detached') {
        // The host callback cannot resume a run (no API key any more): drop the question.
        if (pending) await core.state.clearPendingInterrupt(sessionKey, pending.id);
        return this.stale(target, eventId);
      }
      const input = {
        xpertId,
        sessionKey,
        threadId,
        text: '',
        language: target.language,
        resume: { decision: request.decision, operation: pending?.operation },
        ...(request.signal ? { signal: request.signal } : {}),
        ...(binding?.xpertConversationId ? { xpertConversationId: binding.xpertConversationId } : {}),
      };
      if (choice.delivery === 'dispatched' && !input.xpertConversationId && !answered) {
        // The question was asked on another runner's thread (e.g. before the API key was removed):
        // the host's dispatch cannot address it.
        if (pending) await core.state.clearPendingInterrupt(sessionKey, pending.id);
        return this.stale(target, eventId);
      }
      // The decision is acknowledged before anything of the continued run is sent. Keyed: a retry
      // (or the dispatch processor's own "cancelled" notice, same key) posts it once.
      await this.acknowledge(target, eventId, request.decision);
      if (choice.delivery === 'dispatched') {
        // The processor closes the answer.
        await dispatchTurn(core, { runner: choice.runner, input, target, key: eventId, answersInterruptId: request.interruptId });
        return request.decision === 'reject' ? 'rejected' : 'resumed';
      }
      await runStreamedTurn(core, { integration, runner: choice.runner, key: eventId, target, answersInterruptId: request.interruptId, input });
      return request.decision === 'reject' ? 'rejected' : 'resumed';
    });
  }

  private async acknowledge(target: ReplyTarget, eventId: string, decision: 'confirm' | 'reject'): Promise<void> {
    if (decision === 'reject') await this.core.deps.reply.notice(target, `${eventId}:rejected`, t(target.language, 'reply.rejected'));
    else await this.core.deps.reply.notice(target, `${eventId}:confirmed`, t(target.language, 'reply.confirmedAck'));
  }

  private async stale(target: ReplyTarget, eventId: string): Promise<ResumeOutcome> {
    this.core.logger.log(`resume ${logRef(eventId)}: the interrupt is no longer pending`);
    await this.core.deps.reply.notice(target, `${eventId}:stale`, t(target.language, 'reply.interruptStale'));
    return 'stale';
  }
}
