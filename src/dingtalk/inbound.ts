/** DingTalk inbound payloads → plain events. Every parser throws only `dingtalk_payload_invalid`. */
export type {
  CardActionEvent,
  CheckUrlEvent,
  InboundEvent,
  PlatformEvent,
  RobotAtUser,
  RobotAttachment,
  RobotMessageEvent,
  RobotMsgType,
  SubscribedPlatformEvent,
} from '../kernel/inbound-event';
export { parseRobotMessage, type RobotMessageParseOptions } from './robot-message-parser';
export { parseCardCallback } from './card-callback-parser';
export { parseEventPlaintext, parseStreamEvent } from './platform-event-parser';
export { isFromBot, isMentioningBot, robotMessageDropReason, type BotIdentity, type DropReason } from './inbound-filters';
