import { DynamicStructuredTool } from '@langchain/core/tools';
import { z } from 'zod';
import type { DeliveredMessage } from '../notify-delivery';
import { resolveRecipient } from '../recipient.resolver';
import { actionCardParts, interactiveCard, markdownParts, templateCard, textParts, titleFrom, validateButtons } from '../rich-message';
import { toolIdempotencyKey } from '../run-state';
import { LEGACY_RICH_ARGS, normalizeRichArgs } from './legacy-args';
import { deliveryFor, runNotifyTool, type NotifyToolkit } from './tool-runtime';
import { describeRecipient, describeSent, toolRecipientOf, withNotes, withRecipientFields, type RecipientArgs } from './tool-schema';

export const SEND_RICH_TOOL = 'dingtalk_send_rich_notification';

const DESCRIPTION = [
  'Send a formatted DingTalk message. Same default recipient as dingtalk_send_text_notification.',
  'mode "markdown": title + text in DingTalk markdown (headings, bold, lists, links, images); long text arrives as several messages, never cut.',
  'mode "interactive": title + markdown text + 1 to 5 buttons. A button is either a link {title, url} or an action {title, action, value}: a press of an action button is reported back to Xpert as a DingTalk card action carrying that action and value.',
  'mode "template": a card from a published DingTalk card template: cardTemplateId + cardData (the template variables).',
  'Returns JSON with ok, message_id (keep it for dingtalk_update_message / dingtalk_recall_message) and recipient; on failure a sentence explaining what went wrong.',
].join(' ');

export function sendRichTool(toolkit: NotifyToolkit): DynamicStructuredTool {
  const base = z.object({
    mode: z.enum(['markdown', 'interactive', 'template']).describe('markdown, interactive (with buttons) or template (a DingTalk card template).'),
    title: z.string().optional().describe('Title (markdown and interactive); shown in the chat list and notification. Defaults to the first line of text.'),
    text: z.string().optional().describe('Markdown body (markdown and interactive).'),
    buttons: z
      .array(
        z.object({
          title: z.string().describe('Button label.'),
          url: z.string().optional().describe('Link to open (https://…). Use either url or action.'),
          action: z.string().optional().describe('Action name reported back when pressed, e.g. "approve".'),
          value: z.string().optional().describe('Value reported back with the action, e.g. a request id.'),
        }),
      )
      .optional()
      .describe('Interactive mode: 1 to 5 buttons.'),
    cardTemplateId: z.string().optional().describe('Template mode: the published card template id.'),
    cardData: z.record(z.any()).optional().describe('Template mode: values of the template variables.'),
    ...LEGACY_RICH_ARGS,
  });
  const schema = withRecipientFields(base, toolkit.options.allowToolRecipients);
  return new DynamicStructuredTool({
    name: SEND_RICH_TOOL,
    description: DESCRIPTION,
    schema,
    func: async (input: z.infer<typeof base> & RecipientArgs, _runManager, config) =>
      runNotifyTool(toolkit, { name: SEND_RICH_TOOL, action: 'send the DingTalk message' }, config, async (scope) => {
        const args = normalizeRichArgs(input);
        const { recipient, notes } = resolveRecipient({ options: toolkit.options, runContext: scope.runContext, state: scope.state, toolRecipient: toolRecipientOf(args) });
        const delivery = await deliveryFor(toolkit, recipient.integrationId);
        const key = toolIdempotencyKey(SEND_RICH_TOOL, { config: scope.config, args, runContext: scope.runContext, toolCallId: scope.toolCallId });
        const meta = { source: SEND_RICH_TOOL };
        const title = args.title?.trim() || titleFrom(args.text, 'DingTalk');
        let sent: DeliveredMessage[];
        let form: string;
        if (args.mode === 'text') {
          // 0.0.9's template message sampleText.
          sent = await delivery.sendMessages(recipient, key, textParts(args.text ?? ''), meta);
          form = 'text';
        } else if (args.mode === 'markdown') {
          sent = await delivery.sendMessages(recipient, key, markdownParts(title, args.text ?? ''), meta);
          form = 'markdown';
        } else if (args.mode === 'template') {
          sent = [await delivery.sendCard(recipient, key, templateCard(args.cardTemplateId, args.cardData), meta)];
          form = 'card';
        } else {
          const buttons = validateButtons(args.buttons);
          const cardTemplateId = delivery.integration.options.cardTemplateId;
          if (cardTemplateId) {
            sent = [await delivery.sendCard(recipient, key, interactiveCard({ title, text: args.text ?? '', buttons }, cardTemplateId), meta)];
            form = 'card';
          } else {
            const parts = actionCardParts(
              { title, text: args.text ?? '', buttons, key },
              { integration: delivery.integration, recipient, publicBaseUrl: toolkit.deps.hosts.publicBaseUrl, now: toolkit.deps.now() },
            );
            sent = await delivery.sendMessages(recipient, key, parts, meta);
            form = 'action_card';
          }
        }
        return {
          result: withNotes({ ...describeSent(sent), form, recipient: describeRecipient(recipient) }, notes),
          messageIds: sent.map((s) => s.messageId),
        };
      }),
  });
}
