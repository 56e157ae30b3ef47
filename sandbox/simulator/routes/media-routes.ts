import type { SimContext } from '../context';
import { oldError, oldOk } from '../error-bodies';

/**
 * Old-family media upload (`POST /media/upload?access_token=&type=`), as documented: multipart form
 * with the file in field `media`; `type` is image, voice, video or file. Answers `{errcode: 0,
 * errmsg, type, media_id, created_at}`. The documented limits are enforced: image ≤ 20 MB
 * (jpg/gif/png/bmp), voice ≤ 2 MB (amr/mp3/wav), video ≤ 20 MB (mp4), file ≤ 20 MB
 * (doc/docx/xls/xlsx/ppt/pptx/zip/pdf/rar). The bytes are kept under the media id (`files`).
 */
const LIMITS: Record<string, { maxBytes: number; extensions: string[] }> = {
  image: { maxBytes: 20 * 1024 * 1024, extensions: ['jpg', 'jpeg', 'gif', 'png', 'bmp'] },
  voice: { maxBytes: 2 * 1024 * 1024, extensions: ['amr', 'mp3', 'wav'] },
  video: { maxBytes: 20 * 1024 * 1024, extensions: ['mp4'] },
  file: { maxBytes: 20 * 1024 * 1024, extensions: ['doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'zip', 'pdf', 'rar'] },
};

export function registerMediaRoutes(ctx: SimContext): void {
  ctx.route(
    'POST',
    '/media/upload',
    async (req) => {
      const type = req.query.type ?? '';
      const limit = LIMITS[type];
      if (!limit) return oldError(40004, '不合法的媒体文件类型');
      const contentType = String(req.headers['content-type'] ?? '');
      if (!contentType.startsWith('multipart/form-data')) return oldError(40005, '不合法的文件类型: 需要 multipart/form-data');
      let form: FormData;
      try {
        form = await new Request('http://simulator.local/media/upload', { method: 'POST', headers: { 'content-type': contentType }, body: req.rawBody }).formData();
      } catch {
        return oldError(40005, '不合法的文件类型: 无法解析表单');
      }
      const media = form.get('media');
      if (!media || typeof media === 'string') return oldError(40005, '缺少媒体文件 media');
      const fileName = media.name || 'media';
      const extension = fileName.includes('.') ? fileName.split('.').pop()!.toLowerCase() : '';
      if (!limit.extensions.includes(extension)) return oldError(40005, '不合法的文件类型');
      if (media.size === 0 || media.size > limit.maxBytes) return oldError(40006, '不合法的文件大小');
      const bytes = Buffer.from(await media.arrayBuffer());
      const mediaId = ctx.files.add({ bytes, fileName, contentType: media.type || 'application/octet-stream', downloadCode: `@sim_media_${ctx.messages.newProcessQueryKey()}` });
      return oldOk({ type, media_id: mediaId, created_at: ctx.clock.now() });
    },
    { family: 'old', scope: 'qyapi_robot_sendmsg' },
  );
}
