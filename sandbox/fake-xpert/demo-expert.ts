/**
 * The deterministic demo expert behind the fake threads API: one turn becomes a sequence of frames
 * in the host's order (chat API notes §2.2): on_conversation_start, on_message_start,
 * on_agent_start, text deltas (a `/v1/chat`-style keep-alive in the middle), on_message_end,
 * on_agent_end, on_conversation_end.
 *
 * Demo commands inside the user's text, for tests and manual tries:
 *   /tool       a tool call (component running → success) between the deltas (/tool-fail: fails)
 *   /confirm    ends interrupted with a HITL operation; a resume answers "Confirmed: …" or "Rejected"
 *   /error      ends with on_conversation_end status error
 *   /crash      a Nest plain-text `event: error` and no on_conversation_end
 *   /long N     an answer of exactly N characters in many deltas
 *   /slow       small pauses between deltas
 *   /hang       one delta, then silence until the client hangs up (idle timeout tests)
 */
import { chunkText, DemoHistoryEntry, DemoModel } from './demo-model';

export type DemoFrame =
  | { kind: 'data'; payload: Record<string, unknown> }
  | { kind: 'keepalive' }
  | { kind: 'error'; message: string }
  | { kind: 'complete' };

export interface DemoPending {
  operation: Record<string, unknown>;
  /** The text that asked for confirmation, without the command. */
  request: string;
}

export interface DemoThread {
  threadId: string;
  conversationId: string;
  title: string;
  createdAt: string;
  turns: number;
  history: DemoHistoryEntry[];
  pending?: DemoPending;
}

export type DemoRequest =
  | { kind: 'send'; text: string }
  | { kind: 'resume'; decision: 'confirm' | 'reject'; message?: string };

export interface DemoTurnOptions {
  model: DemoModel;
  signal: AbortSignal;
  /** Resolves when the client has gone; `/hang` waits on it. */
  closed: Promise<void>;
  /** Deterministic ids per run. */
  runIndex: number;
}

const MAX_LONG = 200_000;
const FILLER = 'The quick brown fox jumps over the lazy dog while the expert keeps streaming. ';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const event = (name: string, data: Record<string, unknown>): DemoFrame => ({ kind: 'data', payload: { type: 'event', event: name, data } });
const textDelta = (text: string, id: string): DemoFrame => ({
  kind: 'data',
  payload: { type: 'message', data: { type: 'text', text, id, created_date: new Date(0).toISOString() } },
});

/** Exactly `n` characters of deterministic Markdown-ish text with a line break every ~80 chars. */
export function longAnswer(n: number): string {
  const lines: string[] = [];
  let length = 0;
  for (let i = 1; length < n; i++) {
    const line = `${String(i).padStart(4, '0')} ${FILLER}`;
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n').slice(0, n);
}

function confirmOperation(request: string, runIndex: number): Record<string, unknown> {
  return {
    tasks: [
      {
        id: `task_${runIndex}`,
        name: 'send_report',
        type: 'tool',
        interrupts: [
          {
            id: `interrupt_${runIndex}`,
            value: {
              actionRequests: [{ name: 'send_report', args: { to: 'team', summary: request }, description: 'Send the report to the team' }],
              reviewConfigs: [{ actionName: 'send_report', allowedDecisions: ['approve', 'edit', 'reject'] }],
            },
          },
        ],
      },
    ],
  };
}

async function collect(model: DemoModel, thread: DemoThread, text: string, signal: AbortSignal): Promise<string[]> {
  const deltas: string[] = [];
  for await (const delta of model.reply({ text, turn: thread.turns, history: thread.history.slice(0, -1) }, signal)) deltas.push(delta);
  return deltas;
}

/** Plays one turn; mutates `thread` (turn count, history, pending interrupt). */
export async function* playDemoTurn(thread: DemoThread, request: DemoRequest, options: DemoTurnOptions): AsyncGenerator<DemoFrame> {
  const { runIndex, signal } = options;
  const executionId = `execution_${runIndex}`;
  const aiMessageId = `message_${runIndex}`;
  const llmId = `chatcmpl_${runIndex}`;
  const stamp = new Date().toISOString();

  let deltas: string[] = [];
  let status: 'idle' | 'interrupted' | 'error' = 'idle';
  let error: string | undefined;
  let operation: Record<string, unknown> | undefined;
  let tool: { status: 'success' | 'fail' } | undefined;
  let delayMs = 0;
  let hang = false;
  let crash = false;

  if (request.kind === 'resume') {
    const pending = thread.pending;
    thread.pending = undefined;
    const answer =
      request.decision === 'confirm'
        ? `Confirmed: ${pending?.request ?? ''}`.trimEnd()
        : `Rejected${request.message ? `: ${request.message}` : ''}`;
    deltas = chunkText(answer, 8);
  } else {
    const text = request.text;
    thread.turns += 1;
    thread.pending = undefined;
    thread.history.push({ role: 'human', content: text });
    const long = /\/long\s+(\d+)/.exec(text);
    if (text.includes('/confirm')) {
      const asked = text.replace('/confirm', '').trim();
      deltas = chunkText('I need your approval before sending the report.', 10);
      status = 'interrupted';
      operation = confirmOperation(asked, runIndex);
      thread.pending = { operation, request: asked };
    } else if (text.includes('/error')) {
      deltas = ['Let me think', '…'];
      status = 'error';
      error = 'Demo expert failure';
    } else if (text.includes('/crash')) {
      deltas = ['Starting…'];
      crash = true;
    } else if (long) {
      deltas = chunkText(longAnswer(Math.min(Number(long[1]), MAX_LONG)), 50);
    } else if (text.includes('/hang')) {
      deltas = ['Thinking…'];
      hang = true;
    } else {
      deltas = await collect(options.model, thread, text, signal);
    }
    if (text.includes('/tool')) tool = { status: text.includes('/tool-fail') ? 'fail' : 'success' };
    // Slow enough that a page polling every 500 ms sees a card grow several times.
    if (text.includes('/slow')) delayMs = 60;
  }

  yield event('on_conversation_start', { id: thread.conversationId, title: thread.title, status: 'busy', createdAt: thread.createdAt, updatedAt: stamp });
  yield event('on_message_start', { id: aiMessageId, role: 'ai', content: '', executionId, conversationId: thread.conversationId, status: 'thinking' });
  yield event('on_agent_start', { id: executionId, agentKey: 'Agent_demo', status: 'running', threadId: thread.threadId });

  const middle = Math.floor(deltas.length / 2);
  for (let i = 0; i < deltas.length; i++) {
    if (signal.aborted) return;
    if (i === middle) yield { kind: 'keepalive' };
    if (tool && i === Math.min(1, deltas.length - 1)) {
      const callId = `call_demo_${runIndex}`;
      yield { kind: 'data', payload: { type: 'message', data: { id: callId, type: 'component', agentKey: 'Agent_demo', data: { category: 'Tool', toolset: 'demo', tool: 'demo_search', title: 'Searching the demo index', status: 'running', input: { query: 'demo' }, created_date: stamp } } } };
      yield { kind: 'data', payload: { type: 'message', data: { id: callId, type: 'component', data: { status: tool.status, end_date: stamp, ...(tool.status === 'success' ? { output: '3 results' } : { error: 'demo tool failed' }) } } } };
    }
    yield textDelta(deltas[i], llmId);
    if (delayMs) await sleep(delayMs);
  }
  if (hang) {
    await options.closed;
    return;
  }
  if (crash) {
    yield { kind: 'error', message: 'Demo expert crashed' };
    return;
  }

  const content = deltas.join('');
  thread.history.push({ role: 'ai', content });
  if (operation) yield event('on_interrupt', operation);
  const agentStatus = status === 'idle' ? 'success' : status;
  yield event('on_agent_end', { id: executionId, agentKey: 'Agent_demo', status: agentStatus, ...(error ? { error } : {}) });
  yield event('on_message_end', { id: aiMessageId, status: agentStatus, content, ...(error ? { error } : {}) });
  yield event('on_conversation_end', { id: thread.conversationId, title: thread.title, status, operation: operation ?? null, error: error ?? null });
}
