import type { RobotMessageEvent } from '../kernel/inbound-event';

/** What the integration knows about its own robot. */
export interface BotIdentity {
  /** Encrypted robot id, as DingTalk puts it in `chatbotUserId` / `atUsers[].dingtalkId`. */
  chatbotUserId?: string;
  /** The robot code (normally the AppKey). */
  robotCode?: string;
}

export type DropReason = 'from_bot' | 'group_without_mention';

/** True when the message @-mentions the robot. */
export function isMentioningBot(event: RobotMessageEvent): boolean {
  if (event.isInAtList) return true;
  const botId = event.chatbotUserId;
  return botId !== undefined && event.atUsers.some((user) => user.dingtalkId === botId);
}

/** True when the robot itself sent the message; answering it would loop. */
export function isFromBot(event: RobotMessageEvent, bot: BotIdentity = {}): boolean {
  const botIds = [bot.chatbotUserId, event.chatbotUserId].filter((id): id is string => id !== undefined);
  if (botIds.includes(event.senderId)) return true;
  const robotCode = bot.robotCode ?? event.robotCode;
  return robotCode !== undefined && event.senderStaffId === robotCode;
}

/**
 * Why intake should ignore a message, or undefined to accept it. In HTTP mode DingTalk forwards
 * only @-messages from groups, but Stream and future changes make the check worth keeping.
 */
export function robotMessageDropReason(event: RobotMessageEvent, bot: BotIdentity = {}): DropReason | undefined {
  if (isFromBot(event, bot)) return 'from_bot';
  if (event.conversationType === 'group' && !isMentioningBot(event)) return 'group_without_mention';
  return undefined;
}
