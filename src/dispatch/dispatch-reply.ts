import { randomUUID } from 'node:crypto';
import { ConversationCore, type ConversationDeps } from '../conversation/conversation.deps';
import { finishStreamedTurn } from '../conversation/turn-reply';
import type { HandoffMessage, ProcessResult } from '../host/handoff.contract';
import { t } from '../i18n';
import { ConversationBindingRepository, DispatchRunRepository, type DispatchRun } from '../persistence';
import type { ReplySession } from '../reply/reply.port';
import type { ReplyTarget } from '../kernel/run-context';
import { readEnvelope, type StoredEnvelope } from './callback-envelope';
import { DispatchAnswer } from './dispatch-answer';
import { admitEnvelope, toStored } from './envelope-sequencer';

export interface DispatchReplyOptions {
  /** Pause before the host redelivers an envelope we could not handle now. Default 2 s. */
  retryDelayMs?: number;
  /** Replies kept open in memory between envelopes; the oldest is dropped (and rebuilt if needed). Default 500. */
  maxLiveReplies?: number;
  /** How long one delivery may send for a run before another may take over. Default 30 s. */
  leaseMs?: number;
}

/** A reply being streamed on this process, and the run version it reflects. */
interface LiveReply {
  session: ReplySession;
  answer: DispatchAnswer;
  version: number;
}

const DEFAULT_RETRY_DELAY_MS = 2_000;
const DEFAULT_MAX_LIVE = 500;
const DEFAULT_LEASE_MS = 30_000;

/**
 * Feeds a dispatched run's envelopes into the same reply path as the threads-API runner: streamed
 * card or markdown, the closing actions, Confirm/Reject for an interrupt, the run ledger.
 *
 * Exactly once, in order: each envelope is admitted against the run row (next sequence, envelopes
 * that came early); duplicates are acknowledged and dropped, early ones wait in the row, and the
 * expected one is applied with every waiting one behind it. Progress is written with an optimistic
 * lock after the sends went out; every send is keyed, so a delivery that fails half-way (or loses
 * the race to another replica) is redelivered and sends nothing twice. The open reply stays in
 * memory between envelopes (card update pacing); after a crash it is rebuilt from the row's log.
 */
export class DispatchReply {
  private readonly live = new Map<string, LiveReply>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly retryDelayMs: number;
  private readonly maxLive: number;
  private readonly leaseMs: number;
  /** This process's lease owner id. */
  private readonly owner = `dispatch-${randomUUID()}`;

  constructor(
    private readonly deps: ConversationDeps,
    options: DispatchReplyOptions = {},
  ) {
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.maxLive = options.maxLiveReplies ?? DEFAULT_MAX_LIVE;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  async process(message: HandoffMessage): Promise<ProcessResult> {
    const envelope = readEnvelope(message);
    if ('invalid' in envelope) return { status: 'dead', reason: envelope.invalid };
    // One envelope of a run at a time on this process; other replicas are kept out by the lock.
    return this.serial(envelope.runId, async () => {
      try {
        return await this.handle(envelope.runId, toStored(envelope));
      } catch (error) {
        this.live.delete(envelope.runId);
        const lastAttempt = (message.attempt ?? 1) >= (message.maxAttempts ?? 1);
        const reason = error instanceof Error ? `${error.name}: ${(error as { code?: string }).code ?? error.message}` : String(error);
        this.deps.logger?.warn(`dispatch ${envelope.runId}: envelope ${envelope.sequence} failed (${reason}); ${lastAttempt ? 'giving up' : 'redelivery asked'}`);
        if (!lastAttempt) return { status: 'retry', delayMs: this.retryDelayMs, reason };
        await this.tellFailure(envelope.runId);
        return { status: 'dead', reason };
      }
    });
  }

  private async handle(runId: string, envelope: StoredEnvelope): Promise<ProcessResult> {
    const core = await ConversationCore.open(this.deps);
    const runs = new DispatchRunRepository(core.db);
    const seen = await runs.get(runId);
    if (!seen) return { status: 'dead', reason: `no DingTalk dispatch run ${runId}` };
    const first = this.admit(seen, envelope);
    if (first !== 'apply') return first;

    // Sending for the run: one delivery at a time, whichever replica it is on.
    const claim = await runs.claim(runId, this.owner, this.leaseMs);
    if (!claim.claimed) return { status: 'retry', delayMs: Math.max(this.retryDelayMs, claim.retryInMs), reason: 'another delivery is answering this run' };
    try {
      const run = (await runs.get(runId)) ?? seen;
      const again = this.admit(run, envelope);
      if (again !== 'apply') {
        await runs.release(runId, this.owner);
        return again;
      }
      return await this.apply(core, runs, run, envelope);
    } catch (error) {
      await runs.release(runId, this.owner).catch(() => undefined);
      throw error;
    }
  }

  /** What the run row says about an envelope: already done, to wait (stored now), or to apply. */
  private admit(run: DispatchRun, envelope: StoredEnvelope): ProcessResult | 'apply' | Promise<ProcessResult> {
    if (run.status === 'completed' || run.status === 'abandoned') return { status: 'ok' };
    const admission = admitEnvelope({ nextSequence: run.nextSequence, buffered: run.buffered as Record<string, StoredEnvelope> }, envelope);
    if (admission.duplicate) return { status: 'ok' };
    if (admission.ready.length > 0) return 'apply';
    return this.buffer(run, admission.state.buffered);
  }

  private async buffer(run: DispatchRun, buffered: Record<string, StoredEnvelope>): Promise<ProcessResult> {
    const runs = new DispatchRunRepository((await ConversationCore.open(this.deps)).db);
    const saved = await runs.saveProgress(run.runId, run.version, { nextSequence: run.nextSequence, applied: run.applied, buffered }, this.owner);
    if (saved) this.bump(run.runId, run.version);
    return saved ? { status: 'ok' } : this.raced(run.runId);
  }

  private async apply(core: ConversationCore, runs: DispatchRunRepository, run: DispatchRun, envelope: StoredEnvelope): Promise<ProcessResult> {
    const admission = admitEnvelope({ nextSequence: run.nextSequence, buffered: run.buffered as Record<string, StoredEnvelope> }, envelope);
    const live = await this.liveReply(core, run);
    let finished = false;
    for (const next of admission.ready) {
      if (live.answer.ended) break;
      for (const event of live.answer.apply(next)) {
        if (event.type === 'conversation') await new ConversationBindingRepository(core.db).setXpertConversationId(run.sessionKey, run.threadId, event.conversationId);
        await live.session.onEvent(event);
      }
      if (live.answer.ended) finished = true;
    }
    if (finished) await this.finish(core, run, live);

    const saved = await runs.saveProgress(run.runId, run.version, {
      nextSequence: admission.state.nextSequence,
      applied: live.answer.log,
      buffered: admission.state.buffered,
      ...(finished ? { status: 'completed' as const } : {}),
    }, this.owner);
    if (!saved) {
      await runs.release(run.runId, this.owner);
      return this.raced(run.runId);
    }
    if (finished) this.live.delete(run.runId);
    else live.version = run.version + 1;
    return { status: 'ok' };
  }

  /** The reply of `run` as this process holds it, or rebuilt from the run's log. */
  private async liveReply(core: ConversationCore, run: DispatchRun): Promise<LiveReply> {
    const held = this.live.get(run.runId);
    if (held && held.version === run.version) return held;
    const session = await this.deps.reply.open(run.replyTarget as ReplyTarget, run.runId);
    const { answer, events } = DispatchAnswer.replay(run.applied);
    // Replayed sends are keyed: what went out before goes out no second time.
    for (const event of events) await session.onEvent(event);
    if (held) core.logger.debug(`dispatch ${run.runId}: progress moved elsewhere; reply rebuilt`);
    const live = { session, answer, version: run.version };
    this.remember(run.runId, live);
    return live;
  }

  /** As a streamed turn ends: the ledger, the interrupt, the closing, and a reject's notice. */
  private async finish(core: ConversationCore, run: DispatchRun, live: LiveReply): Promise<void> {
    const target = run.replyTarget as ReplyTarget;
    const result = live.answer.result();
    const entry = await core.ledger.lookup(run.runId, target);
    if (!entry.result) await core.ledger.record(entry, result);
    const integration = await this.deps.integrations.resolve(run.integrationId);
    await finishStreamedTurn(
      core,
      {
        integration,
        input: { sessionKey: run.sessionKey, xpertId: run.xpertId, threadId: run.threadId },
        key: run.runId,
        target,
        ...(run.answersInterruptId ? { answersInterruptId: run.answersInterruptId } : {}),
      },
      result,
      live.session,
    );
    if (run.decision === 'reject') await this.deps.reply.notice(target, `${run.runId}:rejected`, t(target.language, 'reply.rejected'));
  }

  /** Another delivery moved the run first: drop what we hold and let the host redeliver. */
  private raced(runId: string): ProcessResult {
    this.live.delete(runId);
    return { status: 'retry', delayMs: this.retryDelayMs, reason: 'the run moved on elsewhere' };
  }

  private bump(runId: string, version: number): void {
    const held = this.live.get(runId);
    if (held && held.version === version) held.version = version + 1;
  }

  /** The run cannot be answered: say so in the chat (keyed, once) so the user is not left waiting. */
  private async tellFailure(runId: string): Promise<void> {
    try {
      const core = await ConversationCore.open(this.deps);
      const runs = new DispatchRunRepository(core.db);
      const run = await runs.get(runId);
      const target = run?.replyTarget as ReplyTarget | undefined;
      await runs.abandon(runId);
      if (target) await this.deps.reply.notice(target, `${runId}:failed`, t(target.language, 'reply.expertError'));
    } catch {
      this.deps.logger?.warn(`dispatch ${runId}: could not tell the user about the failure either`);
    }
  }

  private remember(runId: string, live: LiveReply): void {
    this.live.delete(runId);
    this.live.set(runId, live);
    while (this.live.size > this.maxLive) {
      const oldest = this.live.keys().next().value;
      if (oldest === undefined) break;
      this.live.delete(oldest);
    }
  }

  private serial<T>(runId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(runId) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(runId, tail);
    void tail.then(() => {
      if (this.chains.get(runId) === tail) this.chains.delete(runId);
    });
    return result;
  }
}
