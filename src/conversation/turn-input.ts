import type { RobotAttachment } from '../kernel/inbound-event';
import { t, type Language } from '../i18n';
import type { ExpertFileRef } from '../runner/expert-runner.port';
import type { StoredMessageEvent } from './job-payloads';

/** Turns a DingTalk download code into a temporary URL (`client.getMessageFileDownloadUrl`). */
export type AttachmentDownloader = (attachment: RobotAttachment) => Promise<string>;

export interface TurnInput {
  text: string;
  files: ExpertFileRef[];
}

/**
 * What the expert receives for one turn (one message, or several merged by the summary window):
 * the texts in order, one per line; audio as its speech recognition (DingTalk puts it in `text`);
 * pictures, files and videos as input files `{url, name}`. When an attachment cannot be passed on
 * (no download URL), a short note says one arrived — the user is never ignored silently.
 */
export async function buildTurnInput(
  events: readonly StoredMessageEvent[],
  language: Language,
  download?: AttachmentDownloader,
  options: { labelSenders?: boolean } = {},
): Promise<TurnInput> {
  const lines: string[] = [];
  const files: ExpertFileRef[] = [];
  for (const event of events) {
    if (event.quoted) {
      // The quote comes first, fenced, so the expert tells what was quoted from what is asked.
      const quotedText = event.quoted.text.trim();
      if (quotedText) lines.push(fenceQuote(quotedText, t(language, 'reply.quotedLabel')));
      for (const attachment of event.quoted.attachments) {
        const url = await tryDownload(attachment, download);
        if (url) files.push({ url, name: attachment.fileName || defaultName(attachment) });
        else lines.push(t(language, 'reply.attachmentReceived', { kind: attachment.kind }));
      }
    }
    const text = event.text?.trim() ?? '';
    // A shared group conversation: the expert must know who is speaking.
    if (text) lines.push(options.labelSenders ? `${event.senderNick || event.senderStaffId || event.senderId}: ${text}` : text);
    for (const attachment of event.attachments ?? []) {
      // Audio already became text; only an audio without recognition needs passing on as a file.
      if (attachment.kind === 'audio' && text) continue;
      const url = await tryDownload(attachment, download);
      if (url) files.push({ url, name: attachment.fileName || defaultName(attachment) });
      else lines.push(t(language, 'reply.attachmentReceived', { kind: attachment.kind }));
    }
    if (!text && !(event.attachments ?? []).length) {
      lines.push(t(language, 'reply.unsupportedMessage', { type: event.msgType || 'unknown' }));
    }
  }
  return { text: lines.join('\n'), files };
}

/** A fence longer than any backtick run inside, so the quoted text cannot close it early. */
export function fenceQuote(text: string, label: string): string {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${label}\n${fence}quote\n${text}\n${fence}`;
}

async function tryDownload(attachment: RobotAttachment, download?: AttachmentDownloader): Promise<string | undefined> {
  if (!download || !attachment.downloadCode) return undefined;
  try {
    const url = await download(attachment);
    return url || undefined;
  } catch {
    // Missing permission, expired code, DingTalk down: the note below tells the expert instead.
    return undefined;
  }
}

function defaultName(attachment: RobotAttachment): string {
  return attachment.kind === 'picture' ? 'image' : attachment.kind;
}
