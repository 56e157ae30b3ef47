import type { RobotMessageEvent } from './inbound-event';

/**
 * A session is one person in one conversation with the bot: in a group every member has their own
 * thread with the expert. The staff id is preferred because the encrypted sender id can change
 * between robot versions; external users have none, so the encrypted id is the fallback.
 */
export function sessionKeyFor(integrationId: string, event: Pick<RobotMessageEvent, 'conversationId' | 'senderStaffId' | 'senderId'>): string {
  return `${integrationId}:${event.conversationId}:${event.senderStaffId || event.senderId}`;
}

/**
 * With `groupSessionMode: shared` a group is ONE session: every member's message queues behind the
 * previous one and continues the same expert conversation.
 */
export function sharedGroupSessionKeyFor(integrationId: string, conversationId: string): string {
  return `${integrationId}:${conversationId}:*group`;
}

export function isSharedGroupSessionKey(sessionKey: string): boolean {
  return sessionKey.endsWith(':*group');
}

/**
 * The key the earlier 0.0.9 plugin may have used for the same person (the encrypted sender id where
 * ours takes the staff id); undefined when it cannot differ from ours.
 */
export function earlierSessionKeyFor(integrationId: string, event: Pick<RobotMessageEvent, 'conversationId' | 'senderStaffId' | 'senderId'>): string | undefined {
  return event.senderStaffId && event.senderId && event.senderId !== event.senderStaffId ? `${integrationId}:${event.conversationId}:${event.senderId}` : undefined;
}
