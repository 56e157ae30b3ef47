import { cardSpace, type CardSpace } from '../delivery/card-space';
import type { ReplyTarget } from '../kernel/run-context';

export { outTrackIdFor, type CardSpace } from '../delivery/card-space';

/**
 * Where an answer card lives (fact sheet §5a). Pure. Groups: the group's space; private chats: the
 * robot's 1:1 space of the asker. Without a userId (an external user) there is no card space: the
 * answer goes out as markdown through the webhook.
 */
export function cardSpaceFor(target: ReplyTarget): CardSpace | undefined {
  if (target.conversationType === 'group') return target.conversationId ? cardSpace({ group: target.conversationId }) : undefined;
  return target.senderStaffId ? cardSpace({ userIds: [target.senderStaffId] }) : undefined;
}
