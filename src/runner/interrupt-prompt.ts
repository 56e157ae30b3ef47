/**
 * Turns a host interrupt (`TSensitiveOperation {tasks:[{interrupts:[{value}]}]}`) into a short
 * human-readable summary for a chat message, and builds the resume value the HITL middleware expects.
 * Pure; never throws on odd shapes, because the operation comes from the network.
 */
import { isRecord } from '../kernel/is-record';

const MAX_ARGS_CHARS = 300;
const MAX_PROMPT_CHARS = 2000;


function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function stringifyArgs(args: unknown): string {
  if (args === undefined || args === null) return '';
  if (typeof args === 'string') return clip(args, MAX_ARGS_CHARS);
  try {
    return clip(JSON.stringify(args), MAX_ARGS_CHARS);
  } catch {
    return '';
  }
}

function describeCall(name: unknown, args: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return undefined;
  const rendered = stringifyArgs(args);
  return rendered && rendered !== '{}' ? `${name} ${rendered}` : name;
}

/** One line per thing awaiting a decision, from one interrupt `value`. */
function describeValue(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() ? [clip(value.trim(), MAX_ARGS_CHARS)] : [];
  if (!isRecord(value)) return [];
  // HITL middleware: {actionRequests:[{name, args, description?}], reviewConfigs}
  const actions = asArray(value.actionRequests)
    .map((request) => {
      if (!isRecord(request)) return undefined;
      const call = describeCall(request.name, request.args);
      const note = typeof request.description === 'string' ? request.description.trim() : '';
      return call && note ? `${call} (${clip(note, MAX_ARGS_CHARS)})` : call;
    })
    .filter((line): line is string => !!line);
  if (actions.length) return actions;
  // Client tools: {clientToolCalls:[{name, args}]}
  const clientCalls = asArray(value.clientToolCalls)
    .map((call) => (isRecord(call) ? describeCall(call.name, call.args) : undefined))
    .filter((line): line is string => !!line);
  if (clientCalls.length) return clientCalls;
  for (const key of ['question', 'message', 'description', 'title']) {
    const text = value[key];
    if (typeof text === 'string' && text.trim()) return [clip(text.trim(), MAX_ARGS_CHARS)];
  }
  const rendered = stringifyArgs(value);
  return rendered && rendered !== '{}' ? [rendered] : [];
}

/** Summary of a pending operation; falls back to the task/tool names, then a generic line. */
export function describeInterrupt(operation: unknown): string {
  const lines: string[] = [];
  const tasks = isRecord(operation) ? asArray(operation.tasks) : [];
  for (const task of tasks) {
    if (!isRecord(task)) continue;
    const fromValues = asArray(task.interrupts).flatMap((interrupt) =>
      isRecord(interrupt) ? describeValue(interrupt.value) : [],
    );
    if (fromValues.length) {
      lines.push(...fromValues);
      continue;
    }
    // A plain sensitive tool carries its pending call in `call` instead of an interrupt value.
    const call = isRecord(task.call) ? describeCall(task.call.name, task.call.args) : undefined;
    const fallback = call ?? (typeof task.name === 'string' && task.name ? task.name : undefined);
    if (fallback) lines.push(fallback);
  }
  const unique = [...new Set(lines)];
  if (!unique.length) return 'The expert is waiting for your confirmation.';
  return clip(unique.map((line) => `- ${line}`).join('\n'), MAX_PROMPT_CHARS);
}

/** Number of HITL action requests in an operation (0 when it is not a HITL interrupt). */
export function countActionRequests(operation: unknown): number {
  const tasks = isRecord(operation) ? asArray(operation.tasks) : [];
  let count = 0;
  for (const task of tasks) {
    if (!isRecord(task)) continue;
    for (const interrupt of asArray(task.interrupts)) {
      if (isRecord(interrupt) && isRecord(interrupt.value)) count += asArray(interrupt.value.actionRequests).length;
    }
  }
  return count;
}

/**
 * The `Command.resume` value for a decision: the HITL middleware wants one decision per pending
 * action request, in order. Without a known operation we answer a single action, the common case.
 */
export function buildHitlResume(decision: 'confirm' | 'reject', message?: string, operation?: unknown): unknown {
  const count = Math.max(1, countActionRequests(operation));
  const one =
    decision === 'confirm'
      ? { type: 'approve' }
      : message
        ? { type: 'reject', message }
        : { type: 'reject' };
  return { decisions: Array.from({ length: count }, () => ({ ...one })) };
}
