import type { TAgentMiddlewareMeta } from '@metad/contracts';
import { DINGTALK_ICON } from '../config/icon';
import { i18nObject } from '../i18n';
import { DEFAULT_TIMEOUT_MS } from './notify-options';
import { INTEGRATION_OPTIONS_URL } from '../kernel/tokens';

export const NOTIFY_MIDDLEWARE_NAME = 'DingTalkNotifyMiddleware';

/**
 * What the 3.7 studio renders for the middleware node. The studio's json-schema-form honours
 * `x-ui.component: 'remoteSelect'` + `selectUrl` and `enumLabels`; the contracts typing of `x-ui`
 * is narrower than what the UI reads, hence the cast at the end.
 */
const configSchema = {
  type: 'object',
  properties: {
    integrationId: {
      type: 'string',
      title: { en_US: 'DingTalk integration', zh_Hans: '钉钉集成' },
      description: {
        en_US: 'The DingTalk app that sends. Runs started by the DingTalk trigger reply through the app they came from.',
        zh_Hans: '用于发送消息的钉钉应用。由钉钉触发器启动的运行会通过其来源应用回复。',
      },
      'x-ui': { component: 'remoteSelect', selectUrl: INTEGRATION_OPTIONS_URL },
    },
    recipient_type: {
      type: 'string',
      title: { en_US: 'Recipient type', zh_Hans: '接收者类型' },
      enum: ['user_id', 'open_id', 'chat_id'],
      default: 'user_id',
      'x-ui': {
        enumLabels: {
          user_id: { en_US: 'User ID (userId)', zh_Hans: '用户 userId' },
          open_id: { en_US: 'unionId (cards only)', zh_Hans: 'unionId（仅支持卡片）' },
          chat_id: { en_US: 'Group (openConversationId)', zh_Hans: '群聊 openConversationId' },
        },
      },
    },
    recipient_id: {
      type: 'string',
      title: { en_US: 'Recipient ID', zh_Hans: '接收者 ID' },
      description: {
        en_US: 'Used when the run did not come from DingTalk. May be a template such as {{human.userId}} or {{state.ownerId}}; several userIds may be separated by commas.',
        zh_Hans: '运行不是来自钉钉时使用。可以是模板，例如 {{human.userId}} 或 {{state.ownerId}}；多个 userId 用逗号分隔。',
      },
    },
    template: {
      type: 'object',
      title: { en_US: 'Templates', zh_Hans: '模板' },
      properties: {
        enabled: { type: 'boolean', default: true, title: { en_US: 'Render {{…}} in the recipient ID', zh_Hans: '渲染接收者 ID 中的 {{…}}' } },
        strict: { type: 'boolean', default: false, title: { en_US: 'Strict: a missing variable is an error', zh_Hans: '严格模式：变量缺失时报错' } },
      },
    },
    autoReply: {
      type: 'boolean',
      default: false,
      title: { en_US: 'Post the final answer to DingTalk', zh_Hans: '将最终回答发送到钉钉' },
      description: {
        en_US: 'When the run came from the DingTalk trigger, post the agent’s final answer to that conversation once. Needed for replies on Xpert 3.7 servers.',
        zh_Hans: '当运行来自钉钉触发器时，把智能体的最终回答发送回该会话一次。Xpert 3.7 服务器需要开启此项才能回复。',
      },
    },
    allowToolRecipients: {
      type: 'boolean',
      default: false,
      title: { en_US: 'Let the model choose recipients', zh_Hans: '允许模型指定接收者' },
      description: {
        en_US: 'Off: messages only go to the originating conversation or the configured recipient.',
        zh_Hans: '关闭时，消息只会发送到来源会话或配置的接收者。',
      },
    },
    timeoutMs: {
      type: 'number',
      default: DEFAULT_TIMEOUT_MS,
      minimum: 1000,
      maximum: 120000,
      title: { en_US: 'Tool timeout (ms)', zh_Hans: '工具超时（毫秒）' },
    },
  },
};

export const notifyMiddlewareMeta: TAgentMiddlewareMeta = {
  name: NOTIFY_MIDDLEWARE_NAME,
  label: i18nObject('notify.label'),
  description: i18nObject('notify.description'),
  icon: DINGTALK_ICON,
  configSchema: configSchema as unknown as TAgentMiddlewareMeta['configSchema'],
};
