import { DynamicStructuredTool } from '@langchain/core/tools';
import { z } from 'zod';
import { assertInScope, findMessage, recallRows, recipientOf, replacementParts, updateCardInPlace } from '../message-ops';
import { resolveRecipient } from '../recipient.resolver';
import { toolIdempotencyKey } from '../run-state';
import { LEGACY_UPDATE_ARGS, normalizeUpdateArgs } from './legacy-args';
import { deliveryFor, integrationIdFor, messageScopesFor, runNotifyTool, type NotifyToolkit } from './tool-runtime';
import { describeSent } from './tool-schema';

export const UPDATE_MESSAGE_TOOL = 'dingtalk_update_message';

const DESCRIPTION = [
  'Change a DingTalk message sent earlier by dingtalk_send_* (pass its message_id).',
  'Cards (interactive with a card template, or template mode) are updated in place: text replaces the card body, title the title, cardData the given template variables.',
  'Plain messages (text, markdown, action cards) cannot be edited on DingTalk: the old message is recalled and the complete new text is sent as a new message; the result then has degraded: true and the new message_id to use from now on.',
  'Returns JSON, or a sentence explaining what went wrong.',
].join(' ');

export function updateMessageTool(toolkit: NotifyToolkit): DynamicStructuredTool {
  const schema = z.object({
    // Optional only so the older name `messageId` is accepted too; the normalizer requires one of them.
    message_id: z.string().optional().describe('Required. message_id returned when the message was sent.'),
    text: z.string().optional().describe('The complete new text (markdown for markdown messages and cards).'),
    title: z.string().optional().describe('New title (markdown messages and cards).'),
    cardData: z.record(z.any()).optional().describe('Cards only: template variables to change.'),
    ...LEGACY_UPDATE_ARGS,
  });
  return new DynamicStructuredTool({
    name: UPDATE_MESSAGE_TOOL,
    description: DESCRIPTION,
    schema,
    func: async (input: z.infer<typeof schema>, _runManager, config) =>
      runNotifyTool(toolkit, { name: UPDATE_MESSAGE_TOOL, action: 'update the DingTalk message' }, config, async (scope) => {
        const args = normalizeUpdateArgs(input);
        const delivery = await deliveryFor(toolkit, integrationIdFor(toolkit, scope));
        const rows = await findMessage(delivery, args.message_id);
        const scopes = messageScopesFor(toolkit, scope);
        if (scopes) assertInScope(rows, scopes, scope.runContext?.conversationId);
        const first = rows[0];
        if (first.outTrackId) {
          const data: Record<string, unknown> = { ...(args.cardData ?? {}), ...(args.title?.trim() ? { title: args.title } : {}), ...(args.text?.trim() ? { content: args.text } : {}) };
          await updateCardInPlace(delivery, first, data);
          return { result: { message_id: first.id, updated: 'in_place' }, messageIds: [first.id] };
        }
        const parts = replacementParts(rows, args);
        const recall = await recallRows(delivery, rows);
        let recipient = recipientOf(first);
        if (recipient.ids.length === 0) {
          // Sent through the reply webhook to someone without a userId: only the run's own conversation reaches them.
          recipient = resolveRecipient({ options: toolkit.options, runContext: scope.runContext, state: scope.state }).recipient;
        }
        const key = `${toolIdempotencyKey(UPDATE_MESSAGE_TOOL, { config: scope.config, args, runContext: scope.runContext, toolCallId: scope.toolCallId })}:resend`;
        const sent = await delivery.sendMessages(recipient, key, parts, { source: UPDATE_MESSAGE_TOOL });
        const recalled = recall.failed.length === 0;
        return {
          result: {
            degraded: true,
            ...describeSent(sent),
            replaced_message_id: first.id,
            old_message_recalled: recalled,
            note: recalled
              ? 'DingTalk cannot edit a plain message, so the old one was recalled and the new text sent as a new message. Use the new message_id from now on.'
              : `DingTalk cannot edit a plain message, and the old one could not be recalled (${recall.failed[0].reason}) — both are now in the chat. Use the new message_id from now on.`,
          },
          messageIds: sent.map((s) => s.messageId),
        };
      }),
  });
}
