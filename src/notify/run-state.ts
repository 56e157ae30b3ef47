import { createHash, randomUUID } from 'node:crypto';
import { getCurrentTaskInput } from '@langchain/langgraph';
import type { RunnableConfig } from '@langchain/core/runnables';
import { getToolCallIdFromConfig } from '@metad/contracts';
import type { DingTalkRunContext } from './dingtalk-run-context';
import { isRecord } from './dingtalk-run-context';

/**
 * How a tool learns about the run it is part of: the graph state (for templates and the run
 * context), the tool call id, and a stable identity for idempotency keys.
 */

/**
 * Full graph states seen by the hooks, by thread. The host hands `beforeAgent` the full state,
 * while a tool's own task input may be a narrower agent channel; the tool then finds `human` here.
 * Keyed by thread so concurrent runs sharing one middleware instance can never see each other.
 */
export class RunStateCache {
  private readonly states = new Map<string, Record<string, unknown>>();

  constructor(private readonly capacity = 256) {}

  remember(threadId: string | undefined, state: unknown): void {
    if (!threadId || !isRecord(state)) return;
    this.states.delete(threadId);
    this.states.set(threadId, state);
    // Oldest first in a Map: drop from the front to stay bounded.
    while (this.states.size > this.capacity) this.states.delete(this.states.keys().next().value as string);
  }

  get(threadId: string | undefined): Record<string, unknown> | undefined {
    return threadId ? this.states.get(threadId) : undefined;
  }
}

/**
 * The state to read inside a tool. `getCurrentTaskInput` throws outside a graph run (a tool called
 * directly, or the studio listing tools), which simply means "no state".
 */
export function stateForTool(config: RunnableConfig | undefined, cache: RunStateCache): Record<string, unknown> {
  const taskInput = taskInputOf(config);
  const cached = cache.get(threadIdOf(config));
  if (taskInput && isRecord(taskInput.human)) return taskInput;
  if (cached) return taskInput ? { ...cached, ...taskInput, human: cached.human } : cached;
  return taskInput ?? {};
}

function taskInputOf(config: RunnableConfig | undefined): Record<string, unknown> | undefined {
  for (const attempt of [() => getCurrentTaskInput(config), () => getCurrentTaskInput()]) {
    try {
      const value = attempt();
      if (isRecord(value)) return value;
    } catch {
      // not inside a graph task
    }
  }
  return undefined;
}

export function toolCallIdOf(config: RunnableConfig | undefined): string | undefined {
  if (!config) return undefined;
  let id: unknown;
  try {
    id = getToolCallIdFromConfig(config);
  } catch {
    id = undefined;
  }
  id ??= (config as { toolCall?: { id?: unknown } }).toolCall?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

export function threadIdOf(config: { configurable?: Record<string, unknown>; metadata?: Record<string, unknown> } | undefined): string | undefined {
  const value = config?.configurable?.thread_id ?? config?.metadata?.thread_id;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * What tells this run step apart from every other: the thread plus the checkpoint namespace (it
 * carries the task id, which LangGraph keeps when it retries a step and changes on the next turn),
 * or else the DingTalk event the run answers.
 */
function runIdentityOf(config: RunnableConfig | undefined, runContext?: DingTalkRunContext): string | undefined {
  const ns = config?.configurable?.checkpoint_ns ?? config?.metadata?.langgraph_checkpoint_ns;
  const parts = [threadIdOf(config), typeof ns === 'string' ? ns : undefined].filter(Boolean);
  if (parts.length > 0) return parts.join('|');
  return runContext?.eventId;
}

/**
 * Outbox key of one tool call, so a retried call finds the first attempt instead of posting again
 * (P15): run identity + tool call id; without a tool call id, run identity + the arguments. With
 * neither there is nothing stable to key on, and a fresh key is used (no dedupe possible).
 */
export function toolIdempotencyKey(
  toolName: string,
  input: { config?: RunnableConfig; args: unknown; runContext?: DingTalkRunContext; toolCallId?: string },
): string {
  const run = runIdentityOf(input.config, input.runContext);
  const material = input.toolCallId
    ? ['call', run ?? '', input.toolCallId]
    : run
      ? ['args', run, stableJson(input.args)]
      : ['random', randomUUID()];
  return `notify:${toolName}:${createHash('sha256').update(material.join('\n')).digest('hex').slice(0, 40)}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
