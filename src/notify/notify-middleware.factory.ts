import type { AgentMiddleware, IAgentMiddlewareContext } from '@xpert-ai/plugin-sdk';
import { z } from 'zod';
import { isRecord } from './dingtalk-run-context';
import { postAutoReply } from './auto-reply';
import type { NotifyDeps } from './notify-deps';
import { NOTIFY_MIDDLEWARE_NAME } from './notify.meta';
import { parseNotifyOptions } from './notify-options';
import { RunStateCache, threadIdOf } from './run-state';
import { listUsersTool } from './tools/list-users.tool';
import { recallMessageTool } from './tools/recall-message.tool';
import { sendFileTool } from './tools/send-file.tool';
import { sendRichTool } from './tools/send-rich.tool';
import { sendTextTool } from './tools/send-text.tool';
import { LAST_MESSAGE_IDS_KEY, LAST_RESULT_KEY, type NotifyToolkit } from './tools/tool-runtime';
import { updateMessageTool } from './tools/update-message.tool';

/** State the tools write (through Command updates); declared so the host creates the channels. */
export const notifyStateSchema = z.object({
  [LAST_RESULT_KEY]: z.record(z.string(), z.unknown()).nullable().optional(),
  [LAST_MESSAGE_IDS_KEY]: z.array(z.string()).optional(),
});

/**
 * Builds the middleware for one agent. Cheap and side-effect free: no DingTalk call, no database,
 * no validation that could throw — the studio calls this with `node: null` just to list the tools.
 */
export function createNotifyMiddleware(deps: NotifyDeps, rawOptions: unknown, context?: Partial<IAgentMiddlewareContext> | null): AgentMiddleware {
  const { options, problem } = parseNotifyOptions(rawOptions);
  const toolkit: NotifyToolkit = { deps, options, ...(problem ? { problem } : {}), cache: new RunStateCache() };
  const agentKey = context?.agentKey ?? undefined;

  // The host passes the agent channel as arg 1 and `{...config, state: fullState}` as arg 2.
  const remember = (state: unknown, runtime: unknown) => {
    const full = isRecord(runtime) && isRecord(runtime.state) ? runtime.state : state;
    toolkit.cache.remember(threadIdOf(isRecord(runtime) ? runtime : undefined), full);
    return undefined;
  };

  return {
    name: NOTIFY_MIDDLEWARE_NAME,
    stateSchema: notifyStateSchema,
    tools: [sendTextTool(toolkit), sendRichTool(toolkit), updateMessageTool(toolkit), recallMessageTool(toolkit), listUsersTool(toolkit), sendFileTool(toolkit)],
    beforeAgent: remember,
    beforeModel: remember,
    ...(options.autoReply && !problem
      ? {
          afterAgent: async (state: unknown) => {
            await postAutoReply(toolkit, state, agentKey);
            return undefined;
          },
        }
      : {}),
  };
}
