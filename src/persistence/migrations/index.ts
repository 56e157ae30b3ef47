import { Init1732000000001 } from './0001-init.migration';
import { ConversationState1732000000002 } from './0002-conversation-state.migration';

export { Init1732000000001 } from './0001-init.migration';
export { ConversationState1732000000002 } from './0002-conversation-state.migration';

/** Every plugin migration, oldest first. Append new ones here. */
export const PLUGIN_MIGRATIONS = [Init1732000000001, ConversationState1732000000002];
