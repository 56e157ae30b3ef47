import type { ChecklistItem } from '@metad/contracts';
import type { TWorkflowTriggerParams } from '@xpert-ai/plugin-sdk';
import type { IntegrationRecords } from '../host/integration-records.port';
import { TriggerBindingRepository, type Queryable } from '../persistence';
import { silentLogger, type LoggerPort } from '../kernel/logger';
import { isDingTalkProvider } from '../kernel/tokens';
import { checklistItem, TRIGGER_CHECK } from './trigger-checklist';
import { inRange, readTriggerConfig, type DingTalkTriggerConfig } from './trigger-config';

export interface TriggerValidatorDeps {
  database: { open(): Promise<Queryable> };
  integrations: Pick<IntegrationRecords, 'get'>;
  logger?: LoggerPort;
}

/**
 * The checks behind `validate()` (called on every draft save). Never throws: a check that cannot
 * run (database or host table unreachable) becomes a warning, so saving a draft never fails on us.
 */
export class TriggerValidator {
  private readonly logger: LoggerPort;

  constructor(private readonly deps: TriggerValidatorDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  async validate(params: TWorkflowTriggerParams<unknown>): Promise<ChecklistItem[]> {
    const config = readTriggerConfig(params?.config);
    const node = params?.node?.key;
    const items: ChecklistItem[] = [...this.checkNumbers(config, node)];
    if (config.xpertApiBaseUrl && !isHttpUrl(config.xpertApiBaseUrl)) {
      items.push(checklistItem({ code: TRIGGER_CHECK.apiBaseUrlInvalid, messageKey: 'trigger.check.apiBaseUrlInvalid', field: 'xpertApiBaseUrl', node, value: config.xpertApiBaseUrl }));
    }
    items.push(...this.checkAccess(config, node));
    items.push(...(await this.checkIntegration(params?.xpertId, config, node)));
    return items;
  }

  /** A "selected" scope with nothing selected shuts everybody out: almost surely not meant. */
  private checkAccess(config: DingTalkTriggerConfig, node?: string): ChecklistItem[] {
    const { access } = config;
    const items: ChecklistItem[] = [];
    if (access.privateChatScope === 'selected' && access.privateChatUsers.length === 0) {
      items.push(checklistItem({ code: TRIGGER_CHECK.privateUsersEmpty, messageKey: 'trigger.check.privateUsersEmpty', field: 'privateChatUsers', node }));
    }
    if (access.groupScope === 'selected' && access.groups.length === 0) {
      items.push(checklistItem({ code: TRIGGER_CHECK.groupsEmpty, messageKey: 'trigger.check.groupsEmpty', field: 'groups', node }));
    }
    if (access.groupMemberScope === 'selected' && access.groupMembers.length === 0) {
      items.push(checklistItem({ code: TRIGGER_CHECK.groupMembersEmpty, messageKey: 'trigger.check.groupMembersEmpty', field: 'groupMembers', node }));
    }
    return items;
  }

  private checkNumbers(config: DingTalkTriggerConfig, node?: string): ChecklistItem[] {
    const items: ChecklistItem[] = [];
    if (!inRange('sessionTimeoutSeconds', config.sessionTimeoutSeconds)) {
      items.push(checklistItem({ code: TRIGGER_CHECK.sessionTimeoutRange, messageKey: 'trigger.check.sessionTimeoutRange', field: 'sessionTimeoutSeconds', node, value: config.sessionTimeoutSeconds }));
    }
    if (!inRange('summaryWindowSeconds', config.summaryWindowSeconds)) {
      items.push(checklistItem({ code: TRIGGER_CHECK.summaryWindowRange, messageKey: 'trigger.check.summaryWindowRange', field: 'summaryWindowSeconds', node, value: config.summaryWindowSeconds }));
    }
    return items;
  }

  private async checkIntegration(xpertId: string | undefined, config: DingTalkTriggerConfig, node?: string): Promise<ChecklistItem[]> {
    const field = 'integrationId';
    const value = config.integrationId;
    if (!value) return [checklistItem({ code: TRIGGER_CHECK.integrationMissing, messageKey: 'trigger.check.integrationMissing', field, node })];
    try {
      const record = await this.deps.integrations.get(value);
      if (!record) return [checklistItem({ code: TRIGGER_CHECK.integrationNotFound, messageKey: 'trigger.check.integrationNotFound', field, node, value })];
      if (!isDingTalkProvider(record.provider)) {
        return [checklistItem({ code: TRIGGER_CHECK.integrationNotDingTalk, messageKey: 'trigger.check.integrationNotDingTalk', field, node, value })];
      }
      if (!config.enabled) return [];
      const existing = await new TriggerBindingRepository(await this.deps.database.open()).findByIntegration(value);
      if (existing && existing.enabled && existing.xpertId !== xpertId) {
        return [checklistItem({ code: TRIGGER_CHECK.integrationBound, messageKey: 'trigger.check.integrationBound', field, node, value, vars: { xpertId: existing.xpertId } })];
      }
      return [];
    } catch (error) {
      this.logger.warn(`dingtalk trigger validate: integration check skipped (${codeOf(error)})`);
      return [checklistItem({ code: TRIGGER_CHECK.unchecked, messageKey: 'trigger.check.unchecked', field, node, value, level: 'warning' })];
    }
  }
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A log-safe description of a failure: its code when it has one, else its class name. */
export function codeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name) return name;
  }
  return 'unknown';
}
