/** Plain event types every DingTalk input is parsed into, whatever the transport (HTTP or Stream). */

export type RobotMsgType = 'text' | 'richText' | 'picture' | 'audio' | 'video' | 'file' | 'unknown';

export interface RobotAttachment {
  kind: 'picture' | 'file' | 'audio' | 'video';
  /** Exchange for a temporary URL via `/v1.0/robot/messageFiles/download` (with the robotCode). */
  downloadCode: string;
  fileName?: string;
  /** Milliseconds, for audio and video. */
  duration?: number;
}

export interface RobotAtUser {
  /** Encrypted DingTalk id; equals the message's `chatbotUserId` when the bot is mentioned. */
  dingtalkId: string;
  /** The userId; empty for external users, so optional. */
  staffId?: string;
}

/** The message a reply quotes: its text (text or richText) and its pictures/files. */
export interface QuotedMessage {
  msgId?: string;
  msgType: RobotMsgType;
  senderId?: string;
  text: string;
  attachments: RobotAttachment[];
}

/** A chat message sent to the robot (HTTP "消息接收地址" body, or Stream topic `/v1.0/im/bot/messages/get`). */
export interface RobotMessageEvent {
  kind: 'message';
  /** The msgId: the dedupe key. */
  eventId: string;
  msgType: RobotMsgType;
  conversationType: 'private' | 'group';
  /** For groups this is the openConversationId the send APIs take. */
  conversationId: string;
  conversationTitle?: string;
  /** Encrypted sender id; not a userId. */
  senderId: string;
  /** The sender's userId; only present once the robot is published, absent for external users. */
  senderStaffId?: string;
  senderUnionId?: string;
  senderNick?: string;
  senderCorpId?: string;
  chatbotUserId?: string;
  robotCode?: string;
  isInAtList: boolean;
  atUsers: RobotAtUser[];
  sessionWebhook?: string;
  /** Epoch milliseconds after which `sessionWebhook` no longer works. */
  sessionWebhookExpiresAt?: number;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Plain text of the message (trimmed); the speech recognition for audio; '' when there is none. */
  text: string;
  attachments: RobotAttachment[];
  /** The earlier message this one replies to (DingTalk's quote: `text.isReplyMsg` + `text.repliedMsg`). */
  quoted?: QuotedMessage;
  /** Set when DingTalk delivered an error instead of content (e.g. the message quota is exhausted). */
  errorMessage?: string;
  /** The payload as received, for audit. */
  raw: Record<string, unknown>;
}

/** A button press on an interactive card ("回传请求"). */
export interface CardActionEvent {
  kind: 'card_action';
  /** A payload-supplied id, or one derived from outTrackId, userId and the action content. */
  eventId: string;
  outTrackId: string;
  userId: string;
  corpId?: string;
  actionIds: string[];
  params: Record<string, unknown>;
  raw: Record<string, unknown>;
}

/** The URL verification DingTalk sends when an event subscription is saved (`check_url`, `check_*`). */
export interface CheckUrlEvent {
  kind: 'check_url';
  eventType: string;
  data: Record<string, unknown>;
}

/** Any other subscribed event: `robot_msg_recall`, `chat_add_member`, `user_add_org`, … */
export interface SubscribedPlatformEvent {
  kind: 'platform_event';
  eventType: string;
  /** From the payload or Stream header; otherwise a sha1 of the payload text. */
  eventId: string;
  corpId?: string;
  data: Record<string, unknown>;
}

export type PlatformEvent = CheckUrlEvent | SubscribedPlatformEvent;

export type InboundEvent = RobotMessageEvent | CardActionEvent | PlatformEvent;

/** What a stored inbox row becomes on the job queue. */
export type JobKind = 'message' | 'card_action' | 'platform_event' | 'end_session' | 'resume';

/** A signed end-session (or confirm/reject) link that was opened: it takes the same path as events. */
export interface ActionEvent {
  kind: 'action';
  eventId: string;
  action: string;
  sessionKey: string;
  params: Record<string, string>;
  /** The signed link's single-use token and the thread it was issued for (see the action gate). */
  nonce?: string;
  threadId?: string;
}
