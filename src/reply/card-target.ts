import { cardSpace, type CardSpace } from '../delivery/card-space';
import type { ReplyTarget } from '../kernel/run-context';

export { outTrackIdFor, type CardSpace } from '../delivery/card-space';

/**
 * Where an answer card lives (fact sheet §5a). Pure. Groups: the group's space, the deliver model
 * @-mentioning the asker (`atUserIds`: userId → nick); private chats: the robot's 1:1 space of the
 * asker. Without a userId (an external user) there is no card space: the answer goes out as
 * markdown through the webhook.
 */
export function cardSpaceFor(target: ReplyTarget): CardSpace | undefined {
  if (target.conversationType === 'group') {
    if (!target.conversationId) return undefined;
    const space = cardSpace({ group: target.conversationId });
    if (!target.senderStaffId) return space;
    return { ...space, imGroupOpenDeliverModel: { ...(space.imGroupOpenDeliverModel ?? {}), atUserIds: { [target.senderStaffId]: target.senderNick || target.senderStaffId } } };
  }
  return target.senderStaffId ? cardSpace({ userIds: [target.senderStaffId] }) : undefined;
}
