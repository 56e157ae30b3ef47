import { StatementMigration } from './statement-migration';

/**
 * Conversation state the conversation engine needs across jobs and replicas:
 * - `reply_target`: where the session's answers go (conversation type, webhook, language…), so an
 *   end or confirm/reject link — which arrives without any chat event — can still answer in the chat;
 * - `pending_interrupt`: the operation of a run that stopped for human confirmation, so the
 *   confirm/reject link resumes exactly that run (and a second click finds nothing to resume).
 * Both live on the session row: they share its life (a new session resets them).
 */
const UP: readonly string[] = [
  `ALTER TABLE plugin_dingtalk_conversation_binding ADD COLUMN reply_target jsonb NULL`,
  `ALTER TABLE plugin_dingtalk_conversation_binding ADD COLUMN pending_interrupt jsonb NULL`,
];

const DOWN: readonly string[] = [
  `ALTER TABLE plugin_dingtalk_conversation_binding DROP COLUMN IF EXISTS pending_interrupt`,
  `ALTER TABLE plugin_dingtalk_conversation_binding DROP COLUMN IF EXISTS reply_target`,
];

export class ConversationState1732000000002 extends StatementMigration {
  name = 'ConversationState1732000000002';

  constructor() {
    super(UP, DOWN);
  }
}
