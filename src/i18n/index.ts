import en from './en.json';
import zhHans from './zh-Hans.json';

export type Language = 'en' | 'zh-Hans';
export type MessageKey = keyof typeof en;

const catalogs: Record<Language, Record<string, string>> = { en, 'zh-Hans': zhHans };

/** Maps the language spellings DingTalk, Xpert and browsers use onto our two catalogs. */
export function normalizeLanguage(value?: string | null): Language {
  if (!value) return 'zh-Hans';
  return /^zh/i.test(value) ? 'zh-Hans' : 'en';
}

export function t(language: Language | string | undefined, key: MessageKey, vars: Record<string, string> = {}): string {
  const catalog = catalogs[normalizeLanguage(language)];
  const template = catalog[key] ?? en[key] ?? key;
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => vars[name] ?? '');
}

/** Both catalogs as an Xpert I18nObject. */
export function i18nObject(key: MessageKey): { en_US: string; zh_Hans: string } {
  return { en_US: en[key], zh_Hans: zhHans[key] };
}
