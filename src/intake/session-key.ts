import type { RobotMessageEvent } from '../dingtalk/inbound-event';

/**
 * A session is one person in one conversation with the bot: in a group every member has their own
 * thread with the expert. The staff id is preferred because the encrypted sender id can change
 * between robot versions; external users have none, so the encrypted id is the fallback.
 */
export function sessionKeyFor(integrationId: string, event: Pick<RobotMessageEvent, 'conversationId' | 'senderStaffId' | 'senderId'>): string {
  return `${integrationId}:${event.conversationId}:${event.senderStaffId || event.senderId}`;
}
