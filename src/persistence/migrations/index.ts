import { Init1732000000001 } from './0001-init.migration';
import { ConversationState1732000000002 } from './0002-conversation-state.migration';
import { HandoffClaimIndexes1732000000003 } from './0003-handoff-claim-indexes.migration';
import { ActionSecurity1732000000004 } from './0004-action-security.migration';
import { DeliveryBudget1732000000006 } from './0006-delivery-budget.migration';
import { DispatchRun1732000000008 } from './0008-dispatch-run.migration';
import { LegacyBindings1732000000009 } from './0009-legacy-bindings.migration';
import { HandoffLeanIndexes1732000000010 } from './0010-handoff-lean-indexes.migration';
import { AccessControl1732000000011 } from './0011-access-control.migration';
import { RunStop1732000000012 } from './0012-run-stop.migration';
import { HandoffArrival1732000000013 } from './0013-handoff-arrival.migration';

export { Init1732000000001 } from './0001-init.migration';
export { ConversationState1732000000002 } from './0002-conversation-state.migration';
export { HandoffClaimIndexes1732000000003 } from './0003-handoff-claim-indexes.migration';
export { ActionSecurity1732000000004 } from './0004-action-security.migration';
export { DeliveryBudget1732000000006 } from './0006-delivery-budget.migration';
export { DispatchRun1732000000008 } from './0008-dispatch-run.migration';
export { LegacyBindings1732000000009 } from './0009-legacy-bindings.migration';
export { HandoffLeanIndexes1732000000010 } from './0010-handoff-lean-indexes.migration';
export { AccessControl1732000000011 } from './0011-access-control.migration';
export { RunStop1732000000012 } from './0012-run-stop.migration';
export { HandoffArrival1732000000013 } from './0013-handoff-arrival.migration';

/** Every plugin migration, oldest first. Append new ones here. */
export const PLUGIN_MIGRATIONS = [
  Init1732000000001,
  ConversationState1732000000002,
  HandoffClaimIndexes1732000000003,
  ActionSecurity1732000000004,
  DeliveryBudget1732000000006,
  DispatchRun1732000000008,
  LegacyBindings1732000000009,
  HandoffLeanIndexes1732000000010,
  AccessControl1732000000011,
  RunStop1732000000012,
  HandoffArrival1732000000013,
];
