import { ToolMessage } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import { Command } from '@langchain/langgraph';
import { readRunContext, type DingTalkRunContext } from '../dingtalk-run-context';
import { resolveRecipient, type NotifyRecipient } from '../recipient.resolver';
import { NotifyDelivery } from '../notify-delivery';
import type { NotifyDeps } from '../notify-deps';
import { describeFailure, notifyError } from '../notify-errors';
import type { NotifyOptions } from '../notify-options';
import { stateForTool, toolCallIdOf, type RunStateCache } from '../run-state';

/**
 * What every notify tool shares: reading the run it is part of, reaching DingTalk, a time limit,
 * and turning the outcome into a small JSON result (or a readable error text) — wrapped in a
 * LangGraph Command that also records the result in state when a tool call id is known.
 */

export const LAST_RESULT_KEY = 'dingtalk_notify_last_result';
export const LAST_MESSAGE_IDS_KEY = 'dingtalk_notify_last_message_ids';

export interface NotifyToolkit {
  deps: NotifyDeps;
  options: NotifyOptions;
  /** Invalid stored options: every tool answers with this instead of acting. */
  problem?: string;
  cache: RunStateCache;
}

export interface ToolCallScope {
  config: RunnableConfig | undefined;
  state: Record<string, unknown>;
  runContext?: DingTalkRunContext;
  toolCallId?: string;
}

export interface ToolOutcome {
  result: Record<string, unknown>;
  /** Message ids of what was sent; recorded as the last message ids. */
  messageIds?: string[];
}

export function scopeOf(toolkit: NotifyToolkit, config: RunnableConfig | undefined): ToolCallScope {
  const state = stateForTool(config, toolkit.cache);
  const runContext = readRunContext(state);
  return { config, state, ...(runContext ? { runContext } : {}), toolCallId: toolCallIdOf(config) };
}

/** The integration that update/recall/list act on: the configured one, else the run's own. */
export function integrationIdFor(toolkit: NotifyToolkit, scope: ToolCallScope): string {
  const id = toolkit.options.integrationId ?? scope.runContext?.integrationId;
  if (!id) {
    throw notifyError('notify_integration_missing', 'No DingTalk integration is selected on the DingTalk notify middleware, and this run did not come from DingTalk. Ask the builder to pick the integration.');
  }
  return id;
}

/**
 * Whose messages update/recall may touch in this call: the run's own conversation and the
 * middleware's configured recipient; `undefined` when the builder lets the model pick recipients.
 */
export function messageScopesFor(toolkit: NotifyToolkit, scope: ToolCallScope): NotifyRecipient[] | undefined {
  if (toolkit.options.allowToolRecipients) return undefined;
  const scopes: NotifyRecipient[] = [];
  const attempts = [
    () => resolveRecipient({ options: toolkit.options, runContext: scope.runContext, state: scope.state }).recipient,
    () => resolveRecipient({ options: toolkit.options, state: scope.state }).recipient,
  ];
  for (const attempt of attempts) {
    try {
      scopes.push(attempt());
    } catch {
      // no such scope in this run (not from DingTalk, or no configured recipient)
    }
  }
  return scopes;
}

export async function deliveryFor(toolkit: NotifyToolkit, integrationId: string): Promise<NotifyDelivery> {
  const integration = await toolkit.deps.resolveIntegration(integrationId);
  const client = toolkit.deps.clientFor(integration.options);
  const db = await toolkit.deps.openDatabase();
  return new NotifyDelivery(db, client, integration, toolkit.deps);
}

export async function runNotifyTool(
  toolkit: NotifyToolkit,
  tool: { name: string; action: string },
  config: RunnableConfig | undefined,
  work: (scope: ToolCallScope) => Promise<ToolOutcome>,
): Promise<string | Command> {
  const scope = scopeOf(toolkit, config);
  let content: string;
  let lastResult: Record<string, unknown>;
  let messageIds: string[] | undefined;
  let failed = false;
  try {
    if (toolkit.problem) {
      throw notifyError('notify_options_invalid', `The DingTalk notify middleware is misconfigured (${toolkit.problem}). Ask the builder to fix its settings.`);
    }
    const outcome = await withTimeout(work(scope), toolkit.options.timeoutMs, tool.action);
    lastResult = { ok: true, ...outcome.result };
    messageIds = outcome.messageIds;
    content = JSON.stringify(lastResult);
  } catch (error) {
    const failure = describeFailure(error, tool.action);
    // Code only: the text may quote recipients, and message bodies never reach the log.
    toolkit.deps.logger.warn(`${tool.name} failed code=${failure.code}`);
    failed = true;
    lastResult = { ok: false, error_code: failure.code, error: failure.text };
    content = failure.text;
  }
  if (!scope.toolCallId) return content;
  return new Command({
    update: {
      [LAST_RESULT_KEY]: lastResult,
      ...(messageIds ? { [LAST_MESSAGE_IDS_KEY]: messageIds } : {}),
      messages: [new ToolMessage({ content, tool_call_id: scope.toolCallId, name: tool.name, status: failed ? 'error' : 'success' })],
    },
  });
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, action: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          notifyError(
            'notify_timeout',
            `DingTalk did not finish within ${timeoutMs} ms while trying to ${action}. It may still happen; do not repeat the call blindly — tell the user it is uncertain.`,
          ),
        ),
      timeoutMs,
    );
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
