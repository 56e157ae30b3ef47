import { createHash } from 'node:crypto';
import type { CreateAndDeliverCardRequest } from '../dingtalk/client';
import type { ReplyTarget } from './reply.port';

/**
 * Where an answer card lives (fact sheet §5a). Pure.
 *
 * The outTrackId is derived from the reply key, so a retried job addresses the card the first
 * attempt created instead of making a second one. A hash keeps it within DingTalk's length limit
 * (≤ 64 recommended) and keeps conversation ids out of it.
 */
export function outTrackIdFor(key: string): string {
  return `xpd_${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 48)}`;
}

export type CardSpace = Pick<CreateAndDeliverCardRequest, 'openSpaceId' | 'imGroupOpenDeliverModel' | 'imRobotOpenDeliverModel'>;

/**
 * Groups: `IM_GROUP.<openConversationId>` delivered by the robot (the client fills its robotCode),
 * mentioning the asker.
 * Private chats: the robot's 1:1 space of the asker, `IM_ROBOT.<userId>`. Without a userId (an
 * external user) there is no card space: the answer goes out as markdown through the webhook.
 */
export function cardSpaceFor(target: ReplyTarget): CardSpace | undefined {
  if (target.conversationType === 'group') {
    if (!target.conversationId) return undefined;
    // The deliver model's `atUserIds` (userId → nick) @-mentions the asker when the card lands.
    const atUserIds = target.senderStaffId ? { [target.senderStaffId]: target.senderNick || target.senderStaffId } : undefined;
    return { openSpaceId: `dtv1.card//IM_GROUP.${target.conversationId}`, imGroupOpenDeliverModel: atUserIds ? { atUserIds } : {} };
  }
  if (!target.senderStaffId) return undefined;
  return { openSpaceId: `dtv1.card//IM_ROBOT.${target.senderStaffId}`, imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' } };
}
