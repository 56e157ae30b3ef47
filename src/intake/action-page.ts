import { t, type Language, type MessageKey } from '../i18n';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export type ActionPageOutcome = 'ended' | 'confirmed' | 'invalid' | 'used' | 'outdated' | 'askerOnly' | 'unavailable';

/** Which button a pending page shows: a GET never acts, the person presses this to POST. */
export type PendingAction = 'end' | 'confirm' | 'reject' | 'choice';

/** The small page a signed action link opens in DingTalk's in-app browser. */
export function actionPage(language: Language | string | undefined, outcome: ActionPageOutcome): string {
  const title = t(language, `action.${outcome}.title` as MessageKey);
  const body = t(language, `action.${outcome}.body` as MessageKey);
  return page(language, title, `<p>${escape(body)}</p>`);
}

/**
 * The page a GET shows for a valid link: what will happen and one button that POSTs the same signed
 * query. Link previewers and prefetchers only ever GET, so they change nothing.
 */
export function pendingActionPage(language: Language | string | undefined, action: PendingAction, postUrl: string): string {
  const title = t(language, `action.pending.${action}.title` as MessageKey);
  const body = t(language, 'action.pending.body');
  const button = t(language, `action.button.${action}` as MessageKey);
  return page(
    language,
    title,
    `<p>${escape(body)}</p><form method="post" action="${escape(postUrl)}"><button type="submit" data-testid="action-submit">${escape(button)}</button></form>`,
  );
}

function page(language: Language | string | undefined, title: string, content: string): string {
  const lang = language === 'en' ? 'en' : 'zh-Hans';
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>${escape(title)}</title><style>body{font-family:system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f5f6f7;color:#171a1d}
main{background:#fff;border-radius:12px;padding:32px;max-width:360px;text-align:center;box-shadow:0 2px 12px rgba(0,0,0,.08)}h1{font-size:20px;margin:0 0 12px}p{margin:0;color:#5f6368}
form{margin-top:20px}button{font:inherit;padding:10px 24px;border:0;border-radius:8px;background:#0089ff;color:#fff;cursor:pointer}</style></head>
<body><main><h1>${escape(title)}</h1>${content}</main></body></html>`;
}
