import { adoptEarlierSession, AggregateRepository, ConversationBindingRepository, type ConversationBinding, type Database } from '../persistence';
import { ConversationStateRepository } from '../persistence/conversation-state.repository';
import type { ReplyTarget } from '../kernel/run-context';
import { threadIdFor } from '../runner/thread-id';

export interface OpenSessionInput {
  sessionKey: string;
  integrationId: string;
  conversationId: string;
  senderId: string;
  xpertId: string;
  /** The inbound event that opens a new session: its id names the new thread (a new generation). */
  openingEventId: string;
  timeoutSeconds: number;
  replyTarget: ReplyTarget;
  /**
   * The live session on the key (or null) as the route read it moments ago in the same job; the
   * session's jobs run one at a time, so it is still current. Undefined reads it here.
   */
  live?: ConversationBinding | null;
}

export interface OpenedSession {
  binding: ConversationBinding;
  /** True when this call started a new session (first message, after the end action or a timeout). */
  started: boolean;
}

/**
 * Sessions: one person in one conversation (key integration:conversation:sender) talking to one
 * expert on one thread. A session is live until it is ended or has been idle longer than the
 * trigger's `sessionTimeoutSeconds` (measured on the injected clock); the next message then starts
 * a new generation, i.e. a new thread id (`threadIdFor(sessionKey, openingEventId)`). Using the
 * opening event's id keeps the thread id the same on every retry of that event's job.
 */
export class Sessions {
  private readonly bindings: ConversationBindingRepository;
  private readonly state: ConversationStateRepository;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {
    this.bindings = new ConversationBindingRepository(db);
    this.state = new ConversationStateRepository(db);
  }

  isLive(binding: ConversationBinding | null, timeoutSeconds: number): binding is ConversationBinding {
    if (!binding || binding.endedAt) return false;
    return this.now() - binding.lastActiveAt.getTime() <= timeoutSeconds * 1000;
  }

  /** The live session on the key, or null (none, ended, or idle past the timeout). */
  async live(sessionKey: string, timeoutSeconds: number): Promise<ConversationBinding | null> {
    const binding = await this.bindings.get(sessionKey);
    return this.isLive(binding, timeoutSeconds) ? binding : null;
  }

  /** Continues the live session when it talks to the same expert; otherwise starts a new one. */
  async open(input: OpenSessionInput): Promise<OpenedSession> {
    const now = new Date(this.now());
    const current = input.live !== undefined ? input.live : await this.live(input.sessionKey, input.timeoutSeconds);
    if (current && current.xpertId === input.xpertId) {
      // Webhooks expire: the newest message's target is the one to answer links with.
      await this.bindings.touch(input.sessionKey, now, input.replyTarget);
      return { binding: current, started: false };
    }
    // One statement: the new thread, its reply target, and no pending interrupt (a new thread cannot
    // resume the old thread's confirmation).
    const binding = await this.bindings.start(input.sessionKey, {
      integrationId: input.integrationId,
      conversationId: input.conversationId,
      senderId: input.senderId,
      xpertId: input.xpertId,
      threadId: threadIdFor(input.sessionKey, input.openingEventId),
      now,
      replyTarget: input.replyTarget,
    });
    return { binding, started: true };
  }

  /** A session carried over from 0.0.9 under `earlierKey` continues on `sessionKey` (see legacy-sessions.ts). */
  async adoptEarlierKey(sessionKey: string, earlierKey: string | undefined, senderId: string): Promise<boolean> {
    return earlierKey ? adoptEarlierSession(this.db, { sessionKey, earlierKey, senderId }) : false;
  }

  async touch(sessionKey: string): Promise<void> {
    await this.bindings.touch(sessionKey, new Date(this.now()));
  }

  /**
   * Ends the session: the binding, any summary-window buffer not yet dispatched, and a pending
   * confirmation. Returns whether a live binding was ended.
   */
  async end(sessionKey: string): Promise<boolean> {
    const now = new Date(this.now());
    return this.db.tx(async (q) => {
      const ended = await new ConversationBindingRepository(q).end(sessionKey, now);
      await new ConversationStateRepository(q).setPendingInterrupt(sessionKey, null);
      await new AggregateRepository(q).clear(sessionKey);
      return ended;
    });
  }

  /** Where the session's answers go (stored from its latest message), or null. */
  async replyTarget(sessionKey: string): Promise<ReplyTarget | null> {
    return (await this.state.get<ReplyTarget>(sessionKey))?.replyTarget ?? null;
  }

  get stateRepository(): ConversationStateRepository {
    return this.state;
  }
}
