/** What an admin stores on a `dingtalk` integration record (its `options` JSON). */
export type ConnectionMode = 'stream' | 'http';

export interface DingTalkIntegrationOptions {
  /** AppKey / ClientID of the enterprise-internal app. Also the owner key of event callbacks. */
  clientId: string;
  /** AppSecret / ClientSecret. Secret. */
  clientSecret: string;
  /** Robot code; for an internal app it is normally the AppKey, which is the default. */
  robotCode?: string;
  mode: ConnectionMode;
  /** HTTP mode: event subscription signing token. Secret. */
  callbackToken?: string;
  /** HTTP mode: EncodingAESKey, 43 characters. Secret. */
  callbackAesKey?: string;
  /** Owner key of event callbacks when events are registered by API (enterprise level). */
  corpId?: string;
  /** HTTP card callbacks: the apiSecret registered with the callback route. Secret. */
  cardCallbackSecret?: string;
  /** Card template used to stream answers (AI card); markdown is used without it. */
  cardTemplateId?: string;
  /** Expert that answers when no trigger is bound to this integration. */
  xpertId?: string;
  preferredLanguage?: 'zh-Hans' | 'en';
  /** DingTalk API origins for this app (default: the plugin's); 0.0.9 stored them per integration. */
  apiBaseUrl?: string;
  oapiBaseUrl?: string;
}

/** An integration record as the host stores it (table `integration`). */
export interface IntegrationRecord<T = DingTalkIntegrationOptions> {
  id: string;
  tenantId: string | null;
  organizationId: string | null;
  name?: string | null;
  provider: string;
  options: T;
}

/** A DingTalk integration record with its settings parsed: the port every capability is handed. */
export type DingTalkIntegration = IntegrationRecord<DingTalkIntegrationOptions>;
