import type { TWorkflowTriggerMeta } from '@metad/contracts';
import { DINGTALK_ICON } from '../config/icon';
import { i18nObject } from '../i18n';
import { INTEGRATION_OPTIONS_URL, PROVIDER_NAME } from '../kernel/tokens';
import { TRIGGER_LIMITS } from './trigger-config';

/** Option lists for the access fields; the integration chosen above is passed as `integration`. */
export const USER_OPTIONS_URL = '/api/dingtalk/user-select-options';
export const GROUP_OPTIONS_URL = '/api/dingtalk/chat-select-options';
const INTEGRATION_DEPENDENCY = [{ name: 'integrationId', alias: 'integration' }];

/** What the studio renders for a DingTalk trigger node (json-schema-form, no variable picker). */
export const triggerMeta: TWorkflowTriggerMeta = {
  name: PROVIDER_NAME,
  label: i18nObject('trigger.label'),
  icon: DINGTALK_ICON as TWorkflowTriggerMeta['icon'],
  configSchema: {
    type: 'object',
    required: ['integrationId'],
    properties: {
      enabled: {
        type: 'boolean',
        title: { en_US: 'Enabled', zh_Hans: '启用' },
        description: { en_US: 'Answer DingTalk messages with this expert.', zh_Hans: '使用该专家应答钉钉消息。' },
        default: true,
      },
      integrationId: {
        type: 'string',
        title: { en_US: 'DingTalk integration', zh_Hans: '钉钉集成' },
        description: {
          en_US: 'The DingTalk bot whose private chats and group @-mentions this expert answers.',
          zh_Hans: '该专家应答其单聊和群聊 @ 消息的钉钉机器人。',
        },
        'x-ui': { component: 'remoteSelect', selectUrl: INTEGRATION_OPTIONS_URL },
      },
      sessionTimeoutSeconds: {
        type: 'number',
        title: { en_US: 'Session timeout (seconds)', zh_Hans: '会话超时（秒）' },
        description: {
          en_US: 'After this much silence the next message starts a new conversation.',
          zh_Hans: '静默超过该时长后，下一条消息将开始新的会话。',
        },
        default: TRIGGER_LIMITS.sessionTimeoutSeconds.default,
        minimum: TRIGGER_LIMITS.sessionTimeoutSeconds.min,
        maximum: TRIGGER_LIMITS.sessionTimeoutSeconds.max,
      },
      summaryWindowSeconds: {
        type: 'number',
        title: { en_US: 'Summary window (seconds)', zh_Hans: '消息汇总窗口（秒）' },
        description: {
          en_US: 'Messages sent within this window are answered together; 0 answers each message at once.',
          zh_Hans: '在该窗口内连续发送的消息合并后一起应答；0 表示逐条立即应答。',
        },
        default: TRIGGER_LIMITS.summaryWindowSeconds.default,
        minimum: TRIGGER_LIMITS.summaryWindowSeconds.min,
        maximum: TRIGGER_LIMITS.summaryWindowSeconds.max,
      },
      privateChatScope: {
        type: 'string',
        title: i18nObject('access.field.privateChatScope'),
        description: i18nObject('access.field.privateChatScope.help'),
        enum: ['everyone', 'selected'],
        default: 'everyone',
        'x-ui': { enumLabels: { everyone: i18nObject('access.option.everyone'), selected: i18nObject('access.option.selectedUsers') } },
      },
      privateChatUsers: {
        type: 'array',
        items: { type: 'string' },
        title: i18nObject('access.field.privateChatUsers'),
        description: i18nObject('access.field.privateChatUsers.help'),
        'x-ui': { component: 'remoteSelect', selectUrl: USER_OPTIONS_URL, multiple: true, depends: INTEGRATION_DEPENDENCY },
      },
      groupScope: {
        type: 'string',
        title: i18nObject('access.field.groupScope'),
        description: i18nObject('access.field.groupScope.help'),
        enum: ['all', 'selected'],
        default: 'all',
        'x-ui': { enumLabels: { all: i18nObject('access.option.allGroups'), selected: i18nObject('access.option.selectedGroups') } },
      },
      groups: {
        type: 'array',
        items: { type: 'string' },
        title: i18nObject('access.field.groups'),
        description: i18nObject('access.field.groups.help'),
        'x-ui': { component: 'remoteSelect', selectUrl: GROUP_OPTIONS_URL, multiple: true, depends: INTEGRATION_DEPENDENCY },
      },
      groupMemberScope: {
        type: 'string',
        title: i18nObject('access.field.groupMemberScope'),
        description: i18nObject('access.field.groupMemberScope.help'),
        enum: ['everyone', 'selected'],
        default: 'everyone',
        'x-ui': { enumLabels: { everyone: i18nObject('access.option.everyone'), selected: i18nObject('access.option.selectedUsers') } },
      },
      groupMembers: {
        type: 'array',
        items: { type: 'string' },
        title: i18nObject('access.field.groupMembers'),
        description: i18nObject('access.field.groupMembers.help'),
        'x-ui': { component: 'remoteSelect', selectUrl: USER_OPTIONS_URL, multiple: true, depends: INTEGRATION_DEPENDENCY },
      },
      groupSessionMode: {
        type: 'string',
        title: i18nObject('group.field.sessionMode'),
        description: i18nObject('group.field.sessionMode.help'),
        enum: ['per_user', 'shared'],
        default: 'per_user',
        'x-ui': { enumLabels: { per_user: i18nObject('group.option.perUser'), shared: i18nObject('group.option.shared') } },
      },
      xpertApiKey: {
        type: 'string',
        title: { en_US: 'Xpert API key (streamed answers)', zh_Hans: 'Xpert API 密钥（流式回答）' },
        description: {
          en_US: 'When set, answers stream into DingTalk through the Xpert API and conversations keep their history. Without it the expert replies through the DingTalk notify middleware.',
          zh_Hans: '设置后，回答通过 Xpert API 流式发送到钉钉，并保留多轮对话上下文；未设置时由钉钉通知中间件回复。',
        },
        'x-ui': { component: 'secretInput', revealable: true },
      },
      xpertApiBaseUrl: {
        type: 'string',
        title: { en_US: 'Xpert API address (optional)', zh_Hans: 'Xpert API 地址（可选）' },
        description: {
          en_US: "Default: the plugin's xpertApiBaseUrl, else this server on its own port.",
          zh_Hans: '默认：插件配置的 xpertApiBaseUrl，否则为本服务器自身地址。',
        },
      },
    },
  },
};
