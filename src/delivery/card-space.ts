import { createHash } from 'node:crypto';
import type { CreateAndDeliverCardRequest } from '../dingtalk/client-types';
import type { OpenApiAddress } from './robot-send';

/**
 * Where a card lives (fact sheet §5a). Pure.
 *
 * One outTrackId scheme for every card: derived from the outbox key, so a retry addresses the card
 * the first attempt created instead of making a second one. A hash keeps it within DingTalk's
 * length limit (≤ 64 recommended) and keeps conversation ids out of it.
 */
export function outTrackIdFor(key: string): string {
  return `xpd_${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 48)}`;
}

export type CardSpace = Pick<
  CreateAndDeliverCardRequest,
  'openSpaceId' | 'imGroupOpenDeliverModel' | 'imRobotOpenDeliverModel' | 'imGroupOpenSpaceModel' | 'imRobotOpenSpaceModel' | 'userIdType'
>;

/**
 * Groups: `IM_GROUP.<openConversationId>`, delivered by the robot (the client fills its robotCode).
 * 1:1: the robot's space of each user, `IM_ROBOT.<userId>` (`userIdType` 2 for unionIds). The open
 * space model goes with every create: every official sample sends one and DingTalk lists
 * `param.openSpaceModelInvalid` among the create-and-deliver errors.
 */
export function cardSpace(to: OpenApiAddress, options: { unionIds?: boolean } = {}): CardSpace {
  if ('group' in to) {
    return { openSpaceId: `dtv1.card//IM_GROUP.${to.group}`, imGroupOpenDeliverModel: {}, imGroupOpenSpaceModel: { supportForward: true } };
  }
  return {
    openSpaceId: `dtv1.card//${to.userIds.map((id) => `IM_ROBOT.${id}`).join(';')}`,
    imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' },
    imRobotOpenSpaceModel: { supportForward: true },
    ...(options.unionIds ? { userIdType: 2 } : {}),
  };
}
