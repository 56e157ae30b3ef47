import { DINGTALK_ICON } from '../config/icon';
import { i18nObject } from '../i18n';
import { PROVIDER_NAME, STREAM_PROVIDER_NAME } from '../kernel/tokens';

const secretInput = (help: string) => ({ component: 'secretInput', revealable: true, help });

/** What the Xpert UI renders for Settings → System Integrations → DingTalk. */
export const integrationMeta = {
  name: PROVIDER_NAME,
  label: i18nObject('integration.label'),
  description: i18nObject('integration.description'),
  icon: DINGTALK_ICON,
  webhook: true,
  webhookUrl: '{{apiBaseUrl}}/api/dingtalk/webhook/{{integrationId}}',
  helpUrl: 'https://open.dingtalk.com/document/orgapp/the-creation-and-installation-of-the-application-robot-in-the',
  // 3.17 provider meta (ignored by 3.7): run the checklist when the form opens, and the console pages.
  setup: { autoValidateOnLoad: true },
  helpLinks: [
    { label: { en_US: 'Create the app and its robot', zh_Hans: '创建应用并添加机器人' }, url: 'https://open.dingtalk.com/document/orgapp/the-creation-and-installation-of-the-application-robot-in-the' },
    { label: { en_US: 'Receive messages in Stream mode', zh_Hans: 'Stream 模式接收消息' }, url: 'https://open.dingtalk.com/document/development/configure-stream-push' },
    { label: { en_US: 'Grant API permissions', zh_Hans: '申请接口权限' }, url: 'https://open.dingtalk.com/document/orgapp-server/add-api-permission' },
    { label: { en_US: 'HTTP callbacks', zh_Hans: 'HTTP 回调' }, url: 'https://open.dingtalk.com/document/development/http-callback-overview' },
    { label: { en_US: 'Card instances', zh_Hans: '卡片实例' }, url: 'https://open.dingtalk.com/document/development/interface-for-creating-a-card-instance' },
  ],
  features: [],
  schema: {
    type: 'object' as const,
    required: ['clientId', 'clientSecret', 'mode'],
    secret: ['clientSecret', 'callbackToken', 'callbackAesKey', 'cardCallbackSecret'],
    properties: {
      clientId: {
        type: 'string',
        title: { en_US: 'Client ID (AppKey)', zh_Hans: 'Client ID（AppKey）' },
        description: { en_US: 'Developer console → your app → Credentials & Basic Info', zh_Hans: '开发者后台 → 应用 → 凭证与基础信息' },
      },
      clientSecret: {
        type: 'string',
        title: { en_US: 'Client Secret (AppSecret)', zh_Hans: 'Client Secret（AppSecret）' },
        'x-ui': secretInput('Shown next to the Client ID; never returned by Test.'),
      },
      robotCode: {
        type: 'string',
        title: { en_US: 'Robot code', zh_Hans: '机器人编码（RobotCode）' },
        description: { en_US: 'Leave empty to use the Client ID, which is the robot code of an internal app.', zh_Hans: '留空则使用 Client ID（企业内部应用的机器人编码即 AppKey）。' },
      },
      mode: {
        type: 'string',
        title: { en_US: 'Message receiving mode', zh_Hans: '消息接收模式' },
        enum: ['stream', 'http'],
        default: 'stream',
        'x-ui': { enumLabels: { stream: { en_US: 'Stream (recommended, no public URL)', zh_Hans: 'Stream 模式（推荐，无需公网地址）' }, http: { en_US: 'HTTP (needs a public URL)', zh_Hans: 'HTTP 模式（需要公网地址）' } } },
      },
      callbackToken: {
        type: 'string',
        title: { en_US: 'Event signing token (HTTP mode)', zh_Hans: '签名 Token（HTTP 模式）' },
        'x-ui': secretInput('Event Subscription → HTTP push → token. Required in HTTP mode.'),
      },
      callbackAesKey: {
        type: 'string',
        title: { en_US: 'Event aes_key (HTTP mode)', zh_Hans: '加密 aes_key（HTTP 模式）' },
        'x-ui': secretInput('Event Subscription → HTTP push → aes_key, 43 characters. Required in HTTP mode.'),
      },
      corpId: {
        type: 'string',
        title: { en_US: 'Corp ID (only for events registered by API)', zh_Hans: 'CorpId（仅 API 注册的回调）' },
      },
      cardCallbackSecret: {
        type: 'string',
        title: { en_US: 'Card callback apiSecret (HTTP mode)', zh_Hans: '卡片回调 apiSecret（HTTP 模式）' },
        'x-ui': secretInput('The apiSecret registered with the card callback URL; enables x-ddpaas-signature checks.'),
      },
      cardTemplateId: {
        type: 'string',
        title: { en_US: 'AI card template ID (optional)', zh_Hans: 'AI 卡片模板 ID（可选）' },
        description: { en_US: 'With a template, answers stream into one card; without, they arrive as markdown.', zh_Hans: '配置后回答以流式卡片展示；否则以 Markdown 消息发送。' },
      },
      xpertId: {
        type: 'string',
        title: { en_US: 'Fallback expert', zh_Hans: '默认数字专家' },
        description: { en_US: 'Answers when no published DingTalk trigger is bound to this integration.', zh_Hans: '当没有已发布的钉钉触发器绑定此集成时由它回答。' },
        'x-ui': { component: 'remoteSelect', selectUrl: '/api/xpert/select-options' },
      },
      preferredLanguage: {
        type: 'string',
        title: { en_US: 'Bot language', zh_Hans: '机器人语言' },
        enum: ['zh-Hans', 'en'],
        default: 'zh-Hans',
        'x-ui': { enumLabels: { 'zh-Hans': { en_US: 'Chinese', zh_Hans: '中文' }, en: { en_US: 'English', zh_Hans: '英文' } } },
      },
    },
    allOf: [{ if: { properties: { mode: { const: 'http' } } }, then: { required: ['callbackToken', 'callbackAesKey'] } }],
  },
};

/**
 * The form of a `dingtalk_long` record (0.0.9's Stream provider): our fields, Stream mode only, no
 * callback URL (Stream needs none) and no HTTP-only secrets.
 */
const HTTP_ONLY_FIELDS = ['callbackToken', 'callbackAesKey', 'cardCallbackSecret'];
export const streamIntegrationMeta = {
  ...integrationMeta,
  name: STREAM_PROVIDER_NAME,
  label: i18nObject('upgrade.integration.label'),
  description: i18nObject('upgrade.integration.description'),
  webhook: false,
  webhookUrl: undefined,
  schema: {
    type: 'object' as const,
    required: ['clientId', 'clientSecret'],
    secret: ['clientSecret'],
    properties: {
      ...Object.fromEntries(Object.entries(integrationMeta.schema.properties).filter(([key]) => !HTTP_ONLY_FIELDS.includes(key))),
      mode: { ...integrationMeta.schema.properties.mode, enum: ['stream'], default: 'stream' },
    },
  },
};
