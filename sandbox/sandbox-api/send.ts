import type { DingTalkSimulator } from '../simulator';
import { DingTalkUserDriver } from '../simulator/user-driver';
import { groupConversationId, SANDBOX_USERS, type ConversationKind, type DemoIntegration, type UserMessage } from './conversations';

/**
 * A simulated user writing to the bot through the real inbound path: HTTP mode posts the signed
 * robot message to the plugin's webhook; Stream mode pushes the same body through the simulated
 * Stream gateway to the plugin's open connection.
 */

export const ROBOT_MESSAGE_TOPIC = '/v1.0/im/bot/messages/get';
/** A push waits for its ACK; the page should not hang when no connection is open (it stays queued). */
const STREAM_ACK_WAIT_MS = 5000;

export interface SendInput {
  integration: DemoIntegration;
  conversation: ConversationKind;
  userId: string;
  text: string;
  atBot: boolean;
}

export interface SendDeps {
  simulator: DingTalkSimulator;
  /** The plugin host's origin (the HTTP-mode webhook lives there). */
  hostUrl: string;
}

export async function sendAsUser(deps: SendDeps, input: SendInput, record: UserMessage): Promise<{ ok: boolean; delivery: string }> {
  const { integration } = input;
  const driver = new DingTalkUserDriver({ simulator: deps.simulator, app: integration.options });
  const user = SANDBOX_USERS.find((u) => u.id === input.userId);
  const group = input.conversation === 'group';
  const body = driver.robotMessage({
    conversationType: input.conversation,
    text: input.text,
    senderStaffId: input.userId,
    senderNick: user?.nick ?? input.userId,
    ...(group ? { conversationId: groupConversationId(integration), conversationTitle: `Sandbox group (${integration.options.mode})`, atBot: input.atBot } : {}),
  });
  if (integration.options.mode === 'http') {
    const response = await driver.postRobotMessage(`${deps.hostUrl}/api/dingtalk/webhook/${integration.id}`, body);
    record.delivery = `HTTP ${response.status}`;
    return { ok: response.status >= 200 && response.status < 300, delivery: record.delivery };
  }
  const push = deps.simulator.gateway.pushCallback(integration.options.clientId, ROBOT_MESSAGE_TOPIC, body);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), STREAM_ACK_WAIT_MS)));
  const result = await Promise.race([push, timeout]).finally(() => clearTimeout(timer));
  if (result === 'timeout' || !result.acked) {
    // Still pending at the gateway: delivered whenever a connection takes it.
    record.delivery = 'Stream: pushed, no ACK yet';
    void push.then((late) => (record.delivery = late.acked ? `Stream ACK ${late.code}` : record.delivery));
    return { ok: true, delivery: record.delivery };
  }
  record.delivery = `Stream ACK ${result.code}`;
  return { ok: result.code === 200, delivery: record.delivery };
}
