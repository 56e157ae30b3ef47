import { DingTalkError } from '../kernel/errors';

/** DingTalk rejects a robot `msgParam` above this many bytes (`invalidParameter.msgParam.tooLong`). */
export const MSG_PARAM_MAX_BYTES = 15_000;
/** `sampleActionCard2..5` carry at most five buttons. */
export const MAX_ACTION_CARD_BUTTONS = 5;

export interface MessageButton {
  title: string;
  /** An https URL or a `dingtalk://` link. */
  url: string;
}

export function messageInvalid(reason: string, message: string, details: Record<string, unknown> = {}): DingTalkError {
  return new DingTalkError('dingtalk_message_invalid', message, 400, { reason, ...details });
}

/** DingTalk shows nothing useful for blank fields and rejects some outright, so blank is refused here. */
export function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw messageInvalid('empty', `The message field "${field}" is empty; DingTalk cannot show an empty ${field}.`, { field });
  }
  return value;
}

export function requireButtons(buttons: unknown, max: number = MAX_ACTION_CARD_BUTTONS): MessageButton[] {
  if (!Array.isArray(buttons) || buttons.length === 0) {
    throw messageInvalid('no_buttons', 'An action card needs at least one button; send markdown instead.');
  }
  if (buttons.length > max) {
    throw messageInvalid('too_many_buttons', `An action card takes at most ${max} buttons; got ${buttons.length}.`, {
      count: buttons.length,
    });
  }
  return buttons.map((button: Partial<MessageButton> | null, index) => ({
    title: requireText(button?.title, `buttons[${index}].title`),
    url: requireText(button?.url, `buttons[${index}].url`),
  }));
}

/** Serialises msgParam and enforces DingTalk's byte limit, so an oversized send fails here with a clear reason. */
export function encodeMsgParam(param: Record<string, string>): string {
  const msgParam = JSON.stringify(param);
  const bytes = Buffer.byteLength(msgParam, 'utf8');
  if (bytes > MSG_PARAM_MAX_BYTES) {
    throw messageInvalid(
      'too_long',
      `The message is ${bytes} bytes once encoded; DingTalk accepts at most ${MSG_PARAM_MAX_BYTES}. Split it with splitMarkdown first.`,
      { bytes, limit: MSG_PARAM_MAX_BYTES },
    );
  }
  return msgParam;
}
