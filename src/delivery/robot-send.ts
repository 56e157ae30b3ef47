import type { DingTalkClient } from '../dingtalk/client';
import type { RobotMessage } from '../dingtalk/outbound';
import { DingTalkError } from '../kernel/errors';

/** Where an OpenAPI robot message goes: one group, or 1:1 to users (by userId). */
export type OpenApiAddress = { group: string } | { userIds: string[] };

export interface RobotSent {
  processQueryKey?: string;
  result: Record<string, unknown>;
}

/**
 * One robot message through the OpenAPI (groupMessages/send or oToMessages/batchSend). A 1:1 send
 * where DingTalk refused every recipient fails: as invalid (`delivery_recipient_invalid`, not in the
 * organisation or the app's visible range) or flow-controlled (`dingtalk_api_throttled`, retried).
 */
export async function sendRobotMessage(client: DingTalkClient, to: OpenApiAddress, message: RobotMessage): Promise<RobotSent> {
  if ('group' in to) {
    const res = await client.sendToGroup({ openConversationId: to.group, msgKey: message.msgKey, msgParam: message.msgParam });
    return { processQueryKey: res.processQueryKey, result: { via: 'openapi', processQueryKeys: [res.processQueryKey] } };
  }
  const res = await client.sendToUsers({ userIds: to.userIds, msgKey: message.msgKey, msgParam: message.msgParam });
  const reached = to.userIds.filter((id) => !res.invalidStaffIdList.includes(id));
  if (reached.length === 0) {
    throw new DingTalkError(
      'delivery_recipient_invalid',
      `DingTalk does not know the userId${to.userIds.length > 1 ? 's' : ''} ${to.userIds.join(', ')} for this robot (not in the organisation, or outside the app's visible range); nothing was sent.`,
      422,
    );
  }
  if (reached.every((id) => res.flowControlledStaffIdList.includes(id))) {
    throw new DingTalkError('dingtalk_api_throttled', 'DingTalk flow-controlled this message to every recipient; it is sent again on the next attempt.', 429);
  }
  return {
    processQueryKey: res.processQueryKey,
    result: { via: 'openapi', processQueryKeys: res.processQueryKeys, invalidUserIds: res.invalidStaffIdList, flowControlledUserIds: res.flowControlledStaffIdList },
  };
}
