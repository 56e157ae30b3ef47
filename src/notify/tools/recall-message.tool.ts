import { DynamicStructuredTool } from '@langchain/core/tools';
import { z } from 'zod';
import { assertInScope, findMessage, recallRows } from '../message-ops';
import { notifyError } from '../notify-errors';
import { LEGACY_RECALL_ARGS, normalizeRecallArgs } from './legacy-args';
import { deliveryFor, integrationIdFor, messageScopesFor, runNotifyTool, type NotifyToolkit } from './tool-runtime';

export const RECALL_MESSAGE_TOOL = 'dingtalk_recall_message';

const DESCRIPTION = [
  'Recall (withdraw) a DingTalk message sent earlier by dingtalk_send_* — pass its message_id; every part of a long message is recalled.',
  'DingTalk allows recalling a 1:1 message only within 24 hours of sending; group messages have no such limit. Replies posted through a group’s reply link (with @-mentions) cannot be recalled.',
  'Returns JSON with the recalled message ids, or a sentence explaining why it was not possible.',
].join(' ');

export function recallMessageTool(toolkit: NotifyToolkit): DynamicStructuredTool {
  // message_id is optional only so the older name `messageId` is accepted too; the normalizer requires one.
  const schema = z.object({ message_id: z.string().optional().describe('Required. message_id returned when the message was sent.'), ...LEGACY_RECALL_ARGS });
  return new DynamicStructuredTool({
    name: RECALL_MESSAGE_TOOL,
    description: DESCRIPTION,
    schema,
    func: async (input: z.infer<typeof schema>, _runManager, config) =>
      runNotifyTool(toolkit, { name: RECALL_MESSAGE_TOOL, action: 'recall the DingTalk message' }, config, async (scope) => {
        const args = normalizeRecallArgs(input);
        const delivery = await deliveryFor(toolkit, integrationIdFor(toolkit, scope));
        const rows = await findMessage(delivery, args.message_id);
        const scopes = messageScopesFor(toolkit, scope);
        if (scopes) assertInScope(rows, scopes, scope.runContext?.conversationId);
        const outcome = await recallRows(delivery, rows);
        if (outcome.recalled.length === 0) {
          throw notifyError('notify_recall_failed', `The message was not recalled. ${outcome.failed[0]?.reason ?? ''}`.trim());
        }
        return {
          result: {
            recalled_message_ids: outcome.recalled,
            ...(outcome.failed.length ? { not_recalled: outcome.failed.map((f) => ({ message_id: f.messageId, reason: f.reason })) } : {}),
          },
        };
      }),
  });
}
