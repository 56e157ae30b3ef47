import { notifyError } from './notify-errors';

/**
 * What DingTalk accepts for a robot file/image message (media upload limits, `/media/upload`):
 * images ≤ 20 MB as jpg/jpeg/gif/png/bmp (sent as `sampleImageMsg`), files ≤ 20 MB as
 * doc/docx/xls/xlsx/ppt/pptx/zip/pdf/rar (sent as `sampleFile`). Pure: checked before anything is
 * uploaded, so a refused file leaves nothing behind.
 */
export const MAX_MEDIA_BYTES = 20 * 1024 * 1024;
const IMAGE_TYPES = new Set(['jpg', 'jpeg', 'gif', 'png', 'bmp']);
const FILE_TYPES = new Set(['doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'zip', 'pdf', 'rar']);
const MIME_EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'application/pdf': 'pdf',
  'application/zip': 'zip',
};

export interface FilePlan {
  media: 'image' | 'file';
  fileName: string;
  /** Extension without the dot, lower case (`sampleFile.fileType`). */
  fileType: string;
  contentType?: string;
}

export function planFileMessage(input: { fileName?: string; contentType?: string; size: number }): FilePlan {
  const contentType = input.contentType?.trim().toLowerCase() || undefined;
  let fileName = (input.fileName ?? '').trim().split(/[\\/]/).pop() ?? '';
  let fileType = fileName.includes('.') ? (fileName.split('.').pop() ?? '').toLowerCase() : '';
  if (!fileType && contentType && MIME_EXTENSIONS[contentType]) {
    fileType = MIME_EXTENSIONS[contentType];
    fileName = `${fileName || 'file'}.${fileType}`;
  }
  if (!fileName) throw notifyError('notify_file_name_missing', 'Give the file a name with its extension (e.g. report.pdf); DingTalk needs it to show the file.');
  if (!IMAGE_TYPES.has(fileType) && !FILE_TYPES.has(fileType)) {
    throw notifyError(
      'notify_file_type_unsupported',
      `DingTalk robots cannot send .${fileType || '(no extension)'} files. Allowed: images jpg, png, gif, bmp; files pdf, doc, docx, xls, xlsx, ppt, pptx, zip, rar. Convert it, or zip it.`,
      { fileType },
    );
  }
  if (input.size <= 0) throw notifyError('notify_file_empty', 'The file is empty; nothing was sent.');
  if (input.size > MAX_MEDIA_BYTES) {
    throw notifyError('notify_file_too_large', `The file is ${(input.size / 1024 / 1024).toFixed(1)} MB; DingTalk robots send at most 20 MB. Share a link to it instead.`, { bytes: input.size, maxBytes: MAX_MEDIA_BYTES });
  }
  return { media: IMAGE_TYPES.has(fileType) ? 'image' : 'file', fileName, fileType, ...(contentType ? { contentType } : {}) };
}
