/** DingTalk outbound payloads: robot messages (msgKey/msgParam), session-webhook bodies, card data, markdown chunks. */
export {
  MSG_PARAM_MAX_BYTES,
  MAX_ACTION_CARD_BUTTONS,
  type MessageButton,
} from './message-validation';
export {
  textMessage,
  markdownMessage,
  actionCardMessage,
  linkMessage,
  imageMessage,
  fileMessage,
  type RobotMessage,
  type RobotMsgKey,
  type ActionCardInput,
  type LinkInput,
  type FileInput,
} from './robot-message-builder';
export {
  webhookText,
  webhookMarkdown,
  webhookActionCard,
  webhookLink,
  webhookEmpty,
  type WebhookAt,
  type WebhookBody,
  type WebhookTextBody,
  type WebhookMarkdownBody,
  type WebhookActionCardBody,
  type WebhookActionCardInput,
  type WebhookLinkBody,
  type WebhookEmptyBody,
} from './webhook-body-builder';
export { toCardParamMap, toCardData, type CardParamMap } from './card-data-builder';
export {
  splitMarkdown,
  splitMarkdownChunks,
  MARKDOWN_CHUNK_MAX_BYTES,
  MARKDOWN_CHUNK_MIN_BYTES,
  type MarkdownChunk,
  type SplitMarkdownOptions,
} from './markdown-splitter';
