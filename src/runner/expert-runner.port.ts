import { silentLogger, type LoggerPort } from '../kernel/logger';
/**
 * The port every expert runner implements (host trigger callback, Xpert threads API, sandbox expert).
 *
 * The caller (the handoff worker) hands one user turn to `run`; the runner streams what the expert
 * does through `onEvent` and resolves with the whole turn. Events arrive strictly in order and the
 * runner awaits each `onEvent` before reading further, so a slow reply sender slows the stream down
 * instead of piling events up in memory.
 *
 * Failure contract (so the worker knows what is safe to retry):
 * - `run` REJECTS with a `DingTalkError` when the host did not accept the turn (bad key, host
 *   unreachable, non-2xx answer, connect timeout): nothing ran, a retry is safe. It also rejects
 *   (`dingtalk_expert_aborted`) when the caller's signal aborts, and rethrows an `onEvent` failure.
 * - Once the host accepted the turn, failures (idle timeout, dropped connection, host-side error)
 *   RESOLVE with `status: 'error'` after a final `end` event: the turn already happened at the host
 *   and a blind retry would answer it twice.
 */

/** What the caller decided about a pending interrupt (human in the loop). */
export interface ExpertResumeInput {
  decision: 'confirm' | 'reject';
  /**
   * Raw value for the graph's `Command.resume`. When absent the runner builds the HITL middleware
   * answer (`{decisions:[{type:'approve'}]}` / `{decisions:[{type:'reject', message}]}`).
   */
  payload?: unknown;
  /** Reason shown to the expert on reject. */
  message?: string;
  /** The operation from the interrupt being answered; lets the runner answer every pending action. */
  operation?: unknown;
}

export interface ExpertFileRef {
  id?: string;
  name?: string;
  url?: string;
}

export interface ExpertRunInput {
  xpertId: string;
  /** Our session key; used for log correlation only. */
  sessionKey: string;
  /** Host thread id, stable per session generation (see `threadIdFor`). */
  threadId: string;
  /** The user's text. Ignored by the host on a resume, but kept as the visible human message. */
  text: string;
  files?: ExpertFileRef[];
  /** Optional thread title, used only when the thread is created. */
  title?: string;
  language?: 'zh-Hans' | 'en';
  endUserId?: string;
  /** Present when this turn answers an interrupt instead of sending a new message. */
  resume?: ExpertResumeInput;
  signal?: AbortSignal;
  /** Our id of this run (the turn's key); a dispatched run's answer comes back under it. */
  runId?: string;
  /** The host conversation the session is on, when known (a dispatched turn continues it). */
  xpertConversationId?: string;
  /** The DingTalk integration the turn came in on. */
  integrationId?: string;
}

export type ExpertRunStatus = 'idle' | 'interrupted' | 'error';

/**
 * `errorCode` of a run the user stopped (`/stop`, End conversation): the caller aborted the run's
 * `signal` for that reason, and the reply finishes the answer as stopped, not as a failure. Every
 * runner only has to honour `signal`; the caller builds this result.
 */
export const RUN_STOPPED_CODE = 'dingtalk_run_stopped';

export interface ExpertInterrupt {
  /** The host's pending operation (`TSensitiveOperation`), passed back untouched on resume. */
  operation: unknown;
  /** Human-readable summary of what needs confirming (tool names and arguments). */
  prompt: string;
}

export type ExpertStreamEvent =
  /** A piece of answer text; the runner accumulates, the caller may too. */
  | { type: 'text'; delta: string }
  | { type: 'tool_start'; id: string; name: string; title?: string }
  | { type: 'tool_end'; id: string; status: 'success' | 'fail' }
  | ({ type: 'interrupt' } & ExpertInterrupt)
  /** The host conversation id behind the thread (first event of a run). */
  | { type: 'conversation'; conversationId: string }
  /** Always the last event of a run that resolves. */
  | { type: 'end'; status: ExpertRunStatus; error?: string };

export type ExpertEventHandler = (event: ExpertStreamEvent) => Promise<void> | void;

export interface ExpertRunResult {
  /** All text deltas joined. */
  text: string;
  status: ExpertRunStatus;
  /** Human-readable reason when `status` is `error`. */
  error?: string;
  /** Stable code when the failure was ours to detect (e.g. `dingtalk_expert_idle_timeout`). */
  errorCode?: string;
  conversationId?: string;
  interrupt?: ExpertInterrupt;
}

export interface ExpertRunner {
  readonly name: string;
  run(input: ExpertRunInput, onEvent: ExpertEventHandler): Promise<ExpertRunResult>;
}

/** The runners take the plugin's one logger port. */
export type RunnerLogger = LoggerPort;

/** Logger that drops everything; the default so runners never need a null check. */
export const silentRunnerLogger: RunnerLogger = silentLogger;
