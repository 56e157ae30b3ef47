import { DynamicStructuredTool } from '@langchain/core/tools';
import { z } from 'zod';
import { MAX_MEDIA_BYTES, planFileMessage } from '../file-message';
import { notifyError } from '../notify-errors';
import { resolveRecipient } from '../recipient.resolver';
import { toolIdempotencyKey } from '../run-state';
import { deliveryFor, runNotifyTool, type NotifyToolkit } from './tool-runtime';
import { describeRecipient, describeSent, toolRecipientOf, withNotes, withRecipientFields, type RecipientArgs } from './tool-schema';

export const SEND_FILE_TOOL = 'dingtalk_send_file';

const DESCRIPTION = [
  'Send a file or image to DingTalk (same default recipient as dingtalk_send_text_notification).',
  'Pass the bytes as content_base64 with a file name including its extension.',
  'Images: jpg, png, gif, bmp; files: pdf, doc, docx, xls, xlsx, ppt, pptx, zip, rar; at most 20 MB.',
  'Returns JSON with ok, message_id and recipient; on failure a sentence explaining what went wrong.',
].join(' ');

const text = () => z.string().optional();

// Every parameter the earlier 0.0.9 tool took, nested under `file` or top-level.
const FILE_FIELDS = {
  path: text(),
  filePath: text(),
  workspacePath: text(),
  fileRef: text(),
  name: text(),
  originalName: text(),
  fileName: text(),
  mimeType: text(),
  mime_type: text(),
  contentType: text(),
  extension: text(),
  size: z.number().optional(),
  content_base64: z.string().optional(),
};

type FileFields = { [K in keyof typeof FILE_FIELDS]?: K extends 'size' ? number : string };

export function sendFileTool(toolkit: NotifyToolkit): DynamicStructuredTool {
  const base = z.object({
    file: z.object(FILE_FIELDS).passthrough().optional().describe('The file: content_base64, fileName (or name), mimeType.'),
    ...FILE_FIELDS,
    timeoutMs: z.number().optional().describe('Ignored; the time limit is set on the middleware.'),
  });
  const schema = withRecipientFields(base, toolkit.options.allowToolRecipients);
  return new DynamicStructuredTool({
    name: SEND_FILE_TOOL,
    description: DESCRIPTION,
    schema,
    func: async (input: z.infer<typeof base> & RecipientArgs, _runManager, config) =>
      runNotifyTool(toolkit, { name: SEND_FILE_TOOL, action: 'send the file to DingTalk' }, config, async (scope) => {
        const file = readFileArgs(input);
        const bytes = decodeBytes(file);
        const fileName = file.fileName ?? file.name ?? file.originalName ?? baseName(file.path ?? file.filePath ?? file.workspacePath ?? file.fileRef);
        const withExtension = fileName && file.extension && !fileName.includes('.') ? `${fileName}.${file.extension.replace(/^\./, '')}` : fileName;
        // Checked before anything is uploaded: a refused file leaves no row and no upload.
        const plan = planFileMessage({ fileName: withExtension, contentType: file.mimeType ?? file.mime_type ?? file.contentType, size: bytes.length });
        const { recipient, notes } = resolveRecipient({ options: toolkit.options, runContext: scope.runContext, state: scope.state, toolRecipient: toolRecipientOf(input) });
        const delivery = await deliveryFor(toolkit, recipient.integrationId);
        const key = toolIdempotencyKey(SEND_FILE_TOOL, { config: scope.config, args: { ...file, bytes: bytes.length, fileName: plan.fileName }, runContext: scope.runContext, toolCallId: scope.toolCallId });
        const sent = await delivery.sendFile(recipient, key, { plan, bytes }, { source: SEND_FILE_TOOL });
        return {
          result: withNotes({ ...describeSent([sent]), form: plan.media, file_name: plan.fileName, bytes: bytes.length, recipient: describeRecipient(recipient) }, notes),
          messageIds: [sent.messageId],
        };
      }),
  });
}

function readFileArgs(input: FileFields & { file?: FileFields }): FileFields {
  return { ...input, ...(input.file ?? {}) };
}

function decodeBytes(file: FileFields): Buffer {
  const encoded = file.content_base64?.replace(/^data:[^,]*,/, '').replace(/\s+/g, '');
  if (!encoded) {
    const path = file.path ?? file.filePath ?? file.workspacePath ?? file.fileRef;
    throw notifyError(
      'notify_file_content_missing',
      path
        ? `The plugin cannot read "${baseName(path)}" from the expert's workspace; pass the file's bytes as content_base64 with fileName. Nothing was sent.`
        : "Pass the file's bytes as content_base64 with fileName (e.g. report.pdf). Nothing was sent.",
    );
  }
  // Base64 of more than the limit is refused before decoding it all.
  if ((encoded.length * 3) / 4 > MAX_MEDIA_BYTES + 4) planFileMessage({ fileName: file.fileName ?? file.name ?? 'file.pdf', size: Math.floor((encoded.length * 3) / 4) });
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(encoded)) throw notifyError('notify_file_content_invalid', 'content_base64 is not valid base64; nothing was sent.');
  return Buffer.from(encoded, 'base64');
}

function baseName(path: string | undefined): string | undefined {
  return path?.split(/[\\/]/).pop() || undefined;
}
