import { Init1732000000001 } from './0001-init.migration';
import { ConversationState1732000000002 } from './0002-conversation-state.migration';
import { HandoffClaimIndexes1732000000003 } from './0003-handoff-claim-indexes.migration';
import { HandoffLeanIndexes1732000000010 } from './0010-handoff-lean-indexes.migration';

export { Init1732000000001 } from './0001-init.migration';
export { ConversationState1732000000002 } from './0002-conversation-state.migration';
export { HandoffClaimIndexes1732000000003 } from './0003-handoff-claim-indexes.migration';
export { HandoffLeanIndexes1732000000010 } from './0010-handoff-lean-indexes.migration';

/** Every plugin migration, oldest first. Append new ones here. */
export const PLUGIN_MIGRATIONS = [Init1732000000001, ConversationState1732000000002, HandoffClaimIndexes1732000000003];
PLUGIN_MIGRATIONS.push(HandoffLeanIndexes1732000000010);
