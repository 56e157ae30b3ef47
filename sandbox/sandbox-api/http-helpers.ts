import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Request, Response } from 'express';

/** Small Express helpers for the sandbox routes, which are mounted before the host's body parsers. */

const MAX_BODY_BYTES = 64 * 1024;

/** JSON body of a request no parser has read yet; undefined when absent, too big or not JSON. */
export async function readJsonBody(req: Request): Promise<Record<string, unknown> | undefined> {
  if (req.body && typeof req.body === 'object') return req.body as Record<string, unknown>;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A JSON content type cannot be sent cross-site without a CORS preflight (which we never grant), so
 * requiring it keeps other web pages from driving the sandbox through the user's browser.
 */
export function isJsonRequest(req: Request): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
}

const WEB_DIR = join(__dirname, '..', 'web');
/** Only these files are served: no path from the URL ever reaches the file system. */
const WEB_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

export async function sendWebFile(name: string, res: Response): Promise<void> {
  const type = WEB_FILES[name];
  if (!type) {
    res.status(404).type('text').send('Not found');
    return;
  }
  const content = await readFile(join(WEB_DIR, name));
  res.status(200).set({ 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).send(content);
}
