import { randomBytes } from 'node:crypto';

/** Files users "sent" to the robot: a downloadCode maps to bytes served at a temporary URL. */
export interface SimFile {
  downloadCode: string;
  bytes: Buffer;
  fileName: string;
  contentType: string;
}

export class FileStore {
  private readonly byCode = new Map<string, SimFile>();

  add(input: { bytes: Buffer | string; fileName?: string; contentType?: string; downloadCode?: string }): string {
    const downloadCode = input.downloadCode ?? `simdl_${randomBytes(12).toString('base64url')}`;
    this.byCode.set(downloadCode, {
      downloadCode,
      bytes: Buffer.isBuffer(input.bytes) ? input.bytes : Buffer.from(input.bytes),
      fileName: input.fileName ?? 'file.bin',
      contentType: input.contentType ?? 'application/octet-stream',
    });
    return downloadCode;
  }

  get(downloadCode: string): SimFile | undefined {
    return this.byCode.get(downloadCode);
  }
}
