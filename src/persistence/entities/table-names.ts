/**
 * Every plugin table carries this prefix so it can never collide with a host table in the shared
 * database, and an operator can see at a glance what belongs to the DingTalk plugin.
 */
export const TABLE_PREFIX = 'plugin_dingtalk_';

export const TABLES = {
  triggerBinding: `${TABLE_PREFIX}trigger_binding`,
  conversationBinding: `${TABLE_PREFIX}conversation_binding`,
  inbox: `${TABLE_PREFIX}inbox`,
  handoff: `${TABLE_PREFIX}handoff`,
  aggregate: `${TABLE_PREFIX}aggregate`,
  outbox: `${TABLE_PREFIX}outbox`,
  dispatchRun: `${TABLE_PREFIX}dispatch_run`,
  accessRefusal: `${TABLE_PREFIX}access_refusal`,
  seenGroup: `${TABLE_PREFIX}seen_group`,
  appBudget: `${TABLE_PREFIX}app_budget`,
  actionUse: `${TABLE_PREFIX}action_use`,
  cardRoute: `${TABLE_PREFIX}card_route`,
  runStop: `${TABLE_PREFIX}run_stop`,
} as const;
