import type { ChecklistItem } from '@metad/contracts';
import { t, type MessageKey } from '../i18n';

/**
 * Stable rule codes of the trigger's checklist items (the studio shows the message; tests, support
 * and logs key on the code). Publish logs the same codes when it has to skip a binding.
 */
export const TRIGGER_CHECK = {
  integrationMissing: 'dingtalk_trigger_integration_missing',
  integrationNotFound: 'dingtalk_trigger_integration_not_found',
  integrationNotDingTalk: 'dingtalk_trigger_integration_not_dingtalk',
  integrationBound: 'dingtalk_trigger_integration_bound',
  sessionTimeoutRange: 'dingtalk_trigger_session_timeout_range',
  summaryWindowRange: 'dingtalk_trigger_summary_window_range',
  apiBaseUrlInvalid: 'dingtalk_trigger_api_base_url_invalid',
  unchecked: 'dingtalk_trigger_integration_unchecked',
  privateUsersEmpty: 'dingtalk_trigger_private_users_empty',
  groupsEmpty: 'dingtalk_trigger_groups_empty',
  groupMembersEmpty: 'dingtalk_trigger_group_members_empty',
} as const;

export type TriggerCheckCode = (typeof TRIGGER_CHECK)[keyof typeof TRIGGER_CHECK];

export interface ChecklistItemInput {
  code: TriggerCheckCode;
  messageKey: MessageKey;
  field: string;
  level?: ChecklistItem['level'];
  node?: string;
  value?: unknown;
  vars?: Record<string, string>;
}

/** One checklist item with both languages rendered (the studio picks one). */
export function checklistItem(input: ChecklistItemInput): ChecklistItem {
  return {
    ...(input.node ? { node: input.node } : {}),
    field: input.field,
    ...(input.value !== undefined && input.value !== null && input.value !== '' ? { value: String(input.value) } : {}),
    message: { en_US: t('en', input.messageKey, input.vars), zh_Hans: t('zh-Hans', input.messageKey, input.vars) },
    level: input.level ?? 'error',
    ruleCode: input.code,
  };
}
