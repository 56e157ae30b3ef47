import type { Response } from 'express';
import { t } from '../i18n';

/**
 * End buttons of the earlier 0.0.9 plugin, still in people's chats, link to
 * `GET /api/dingtalk/action?integrationId=…&conversationUserKey=…&action=dingtalk:end[&xpertId=…]`
 * without any signature. Anyone could forge one, so they never act: they get a short page saying
 * the button is from an earlier version, with 410 Gone.
 */
export function isLegacyActionLink(query: Record<string, unknown>): boolean {
  return !query.sig && (query.conversationUserKey !== undefined || query.integrationId !== undefined);
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function legacyActionPage(language: string | undefined): string {
  const title = t(language, 'upgrade.action.title');
  const body = t(language, 'upgrade.action.body');
  const lang = /^zh/i.test(language ?? 'zh') ? 'zh-Hans' : 'en';
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(title)}</title><style>body{font-family:system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f5f6f7;color:#171a1d}
main{background:#fff;border-radius:12px;padding:32px;max-width:360px;text-align:center;box-shadow:0 2px 12px rgba(0,0,0,.08)}h1{font-size:20px;margin:0 0 12px}p{margin:0;color:#5f6368}</style></head>
<body><main><h1>${escape(title)}</h1><p>${escape(body)}</p></main></body></html>`;
}

/**
 * Answers an 0.0.9 link, if this is one (true), touching nothing: no lookup, no job, no write. The
 * language is the browser's, since such a link names no integration we could trust.
 */
export function refuseLegacyActionLink(query: Record<string, unknown>, response: Response): boolean {
  if (!isLegacyActionLink(query)) return false;
  const accepted = response.req?.headers?.['accept-language'];
  const language = typeof accepted === 'string' && accepted.trim() ? accepted.split(',')[0].trim() : undefined;
  response.status(410).type('html').set('Cache-Control', 'no-store').send(legacyActionPage(language));
  return true;
}
