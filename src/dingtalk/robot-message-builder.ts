import { encodeMsgParam, type MessageButton, messageInvalid, requireButtons, requireText } from './message-validation';

/**
 * Bodies for the robot send APIs (`oToMessages/batchSend`, `groupMessages/send`,
 * `privateChatMessages/send`): a `msgKey` from DingTalk's catalog and its `msgParam` as a JSON string.
 */

export type RobotMsgKey =
  | 'sampleText'
  | 'sampleMarkdown'
  | 'sampleImageMsg'
  | 'sampleLink'
  | 'sampleActionCard'
  | 'sampleActionCard2'
  | 'sampleActionCard3'
  | 'sampleActionCard4'
  | 'sampleActionCard5'
  | 'sampleActionCard6'
  | 'sampleFile';

export interface RobotMessage {
  msgKey: RobotMsgKey;
  /** JSON string, as the API wants it. */
  msgParam: string;
}

export interface ActionCardInput {
  title: string;
  /** Markdown body. */
  text: string;
  buttons: MessageButton[];
  /** Two buttons side by side (`sampleActionCard6`) instead of stacked; only valid with exactly two. */
  horizontal?: boolean;
}

export interface LinkInput {
  title: string;
  text: string;
  messageUrl: string;
  picUrl?: string;
}

export interface FileInput {
  /** media_id from the media upload API. */
  mediaId: string;
  fileName: string;
  /** xlsx, pdf, zip, rar, doc or docx; taken from the file name when omitted. */
  fileType?: string;
}

export function textMessage(content: string): RobotMessage {
  return build('sampleText', { content: requireText(content, 'content') });
}

export function markdownMessage(title: string, text: string): RobotMessage {
  return build('sampleMarkdown', { title: requireText(title, 'title'), text: requireText(text, 'text') });
}

/** One button → `sampleActionCard`; two to five stacked buttons → `sampleActionCard2..5`. */
export function actionCardMessage(input: ActionCardInput): RobotMessage {
  const title = requireText(input?.title, 'title');
  const text = requireText(input?.text, 'text');
  const buttons = requireButtons(input?.buttons);
  if (input.horizontal) return horizontalActionCard(title, text, buttons);
  if (buttons.length === 1) {
    return build('sampleActionCard', { title, text, singleTitle: buttons[0].title, singleURL: buttons[0].url });
  }
  const param: Record<string, string> = { title, text };
  buttons.forEach((button, index) => {
    param[`actionTitle${index + 1}`] = button.title;
    param[`actionURL${index + 1}`] = button.url;
  });
  return build(`sampleActionCard${buttons.length}` as RobotMsgKey, param);
}

export function linkMessage(input: LinkInput): RobotMessage {
  const param: Record<string, string> = {
    title: requireText(input?.title, 'title'),
    text: requireText(input?.text, 'text'),
    messageUrl: requireText(input?.messageUrl, 'messageUrl'),
  };
  if (input.picUrl !== undefined) param.picUrl = requireText(input.picUrl, 'picUrl');
  return build('sampleLink', param);
}

/** `photoURL` may be an https URL or a media_id. */
export function imageMessage(photoURL: string): RobotMessage {
  return build('sampleImageMsg', { photoURL: requireText(photoURL, 'photoURL') });
}

export function fileMessage(input: FileInput): RobotMessage {
  const mediaId = requireText(input?.mediaId, 'mediaId');
  const fileName = requireText(input?.fileName, 'fileName');
  const fileType = input.fileType ?? extensionOf(fileName);
  return build('sampleFile', { mediaId, fileName, fileType: requireText(fileType, 'fileType') });
}

function horizontalActionCard(title: string, text: string, buttons: MessageButton[]): RobotMessage {
  if (buttons.length !== 2) {
    throw messageInvalid('horizontal_needs_two', 'Side-by-side action card buttons come in exactly two.', {
      count: buttons.length,
    });
  }
  return build('sampleActionCard6', {
    title,
    text,
    buttonTitle1: buttons[0].title,
    buttonUrl1: buttons[0].url,
    buttonTitle2: buttons[1].title,
    buttonUrl2: buttons[1].url,
  });
}

function build(msgKey: RobotMsgKey, param: Record<string, string>): RobotMessage {
  return { msgKey, msgParam: encodeMsgParam(param) };
}

function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(dot + 1).toLowerCase() : '';
}
