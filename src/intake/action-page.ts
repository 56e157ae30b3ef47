import { t, type Language } from '../i18n';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The small page a signed action link opens in DingTalk's in-app browser. */
export function actionPage(language: Language | string | undefined, outcome: 'ended' | 'confirmed' | 'invalid'): string {
  const title = t(language, `action.${outcome}.title` as 'action.ended.title');
  const body = t(language, `action.${outcome}.body` as 'action.ended.body');
  const lang = language === 'en' ? 'en' : 'zh-Hans';
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(title)}</title><style>body{font-family:system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f5f6f7;color:#171a1d}
main{background:#fff;border-radius:12px;padding:32px;max-width:360px;text-align:center;box-shadow:0 2px 12px rgba(0,0,0,.08)}h1{font-size:20px;margin:0 0 12px}p{margin:0;color:#5f6368}</style></head>
<body><main><h1>${escape(title)}</h1><p>${escape(body)}</p></main></body></html>`;
}
