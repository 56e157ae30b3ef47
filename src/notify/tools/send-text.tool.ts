import { DynamicStructuredTool } from '@langchain/core/tools';
import { z } from 'zod';
import { resolveRecipient } from '../recipient.resolver';
import { textParts } from '../rich-message';
import { toolIdempotencyKey } from '../run-state';
import { LEGACY_TEXT_ARGS, normalizeTextArgs } from './legacy-args';
import { deliveryFor, runNotifyTool, type NotifyToolkit } from './tool-runtime';
import { describeRecipient, describeSent, toolRecipientOf, withNotes, withRecipientFields, type RecipientArgs } from './tool-schema';

export const SEND_TEXT_TOOL = 'dingtalk_send_text_notification';

const DESCRIPTION = [
  'Send a plain-text DingTalk message.',
  'By default it goes to the DingTalk conversation this run came from (the person or group that wrote), otherwise to the recipient configured for this agent.',
  'Long text is split into several messages in order; nothing is cut off.',
  'at_user_ids @-mentions people, but DingTalk only allows that when replying in the group this run came from; anywhere else the message is sent without the mention and the result says so.',
  'Returns JSON with ok, message_id (keep it to update or recall the message later) and recipient; on failure a sentence explaining what went wrong.',
].join(' ');

export function sendTextTool(toolkit: NotifyToolkit): DynamicStructuredTool {
  const base = z.object({
    // Optional only so the older name `content` is accepted too; the normalizer requires one of them.
    text: z.string().optional().describe('Required. The message text (plain text; use dingtalk_send_rich_notification for markdown).'),
    at_user_ids: z.array(z.string()).optional().describe('userIds to @-mention (only effective in the group this run came from).'),
    ...LEGACY_TEXT_ARGS,
  });
  const schema = withRecipientFields(base, toolkit.options.allowToolRecipients);
  return new DynamicStructuredTool({
    name: SEND_TEXT_TOOL,
    description: DESCRIPTION,
    schema,
    func: async (input: z.infer<typeof base> & RecipientArgs, _runManager, config) =>
      runNotifyTool(toolkit, { name: SEND_TEXT_TOOL, action: 'send the DingTalk message' }, config, async (scope) => {
        const args = normalizeTextArgs(input);
        const { recipient, notes } = resolveRecipient({ options: toolkit.options, runContext: scope.runContext, state: scope.state, toolRecipient: toolRecipientOf(args) });
        const delivery = await deliveryFor(toolkit, recipient.integrationId);
        const atUserIds = [...new Set((args.at_user_ids ?? []).map((id) => id.trim()).filter(Boolean))];
        // @ only exists on the webhook of the group the run came from (the robot API has no @).
        const canMention = atUserIds.length > 0 && recipient.type === 'chat_id' && recipient.source === 'run_context' && delivery.webhookUsable(recipient);
        if (atUserIds.length > 0 && !canMention) {
          notes.push('Nobody was @-mentioned: DingTalk’s robot API cannot @-mention; that only works when replying in the group this run came from while its reply link is valid. Write the names in the text instead.');
        }
        const key = toolIdempotencyKey(SEND_TEXT_TOOL, { config: scope.config, args, runContext: scope.runContext, toolCallId: scope.toolCallId });
        const sent = await delivery.sendMessages(recipient, key, textParts(args.text, canMention ? atUserIds : undefined), { source: SEND_TEXT_TOOL, preferWebhook: canMention });
        return {
          result: withNotes({ ...describeSent(sent), recipient: describeRecipient(recipient), ...(canMention ? { mentioned: atUserIds } : {}) }, notes),
          messageIds: sent.map((s) => s.messageId),
        };
      }),
  });
}
