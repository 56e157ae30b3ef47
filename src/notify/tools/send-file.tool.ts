import { DynamicStructuredTool } from '@langchain/core/tools';
import { z } from 'zod';
import { notifyError } from '../notify-errors';
import { runNotifyTool, type NotifyToolkit } from './tool-runtime';

export const SEND_FILE_TOOL = 'dingtalk_send_file';

const DESCRIPTION = [
  'Send a file to DingTalk. Not available yet in this version of the DingTalk plugin: the call changes nothing and says so.',
  'To share a document now, put a link to it in dingtalk_send_rich_notification.',
].join(' ');

const text = () => z.string().optional();

// Every parameter the earlier 0.0.9 tool took, nested under `file` or top-level, so agents built
// with it get a readable answer instead of a schema error.
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
};

export function sendFileTool(toolkit: NotifyToolkit): DynamicStructuredTool {
  const schema = z.object({
    file: z.object(FILE_FIELDS).passthrough().optional().describe('The file: path (or filePath, workspacePath, fileRef), name, mimeType.'),
    ...FILE_FIELDS,
    timeoutMs: z.number().optional().describe('Ignored; the time limit is set on the middleware.'),
  });
  return new DynamicStructuredTool({
    name: SEND_FILE_TOOL,
    description: DESCRIPTION,
    schema,
    func: async (_args: z.infer<typeof schema>, _runManager, config) =>
      runNotifyTool(toolkit, { name: SEND_FILE_TOOL, action: 'send the file to DingTalk' }, config, async () => {
        throw notifyError(
          'notify_file_unavailable',
          'Sending files to DingTalk is not available yet in this version of the DingTalk plugin; nothing was sent. Tell the user, and share a link to the file with dingtalk_send_rich_notification instead.',
        );
      }),
  });
}
