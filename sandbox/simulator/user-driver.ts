import { createHash, randomBytes } from 'node:crypto';
import { createCallbackCipher, signCardCallback, signRobotRequest } from '../../src/dingtalk/crypto';
import type { DingTalkSimulator } from './simulator';

/**
 * Plays the DingTalk side of inbound traffic: a user typing to the robot (HTTP-mode robot message,
 * signed with the app secret, fact sheet §3), an encrypted event callback (§2) and a card button click
 * (§5c). Bodies are built exactly as DingTalk sends them; every robot message carries a real
 * sessionWebhook on the simulator, registered so that replies posted there are recorded against the
 * conversation. `post*` methods send with `fetch` and return `{status, body}`; overrides let tests
 * forge signatures and timestamps.
 */

export interface DriverApp {
  clientId: string;
  clientSecret: string;
  robotCode?: string;
  /** HTTP event subscription signing token. */
  callbackToken?: string;
  /** HTTP event subscription EncodingAESKey (43 chars). */
  callbackAesKey?: string;
  /** apiSecret registered with the card callback route. */
  cardCallbackSecret?: string;
  corpId?: string;
}

export interface RobotMessageInput {
  conversationType: 'private' | 'group';
  text?: string;
  senderStaffId: string;
  senderNick?: string;
  conversationId?: string;
  conversationTitle?: string;
  /** Group only: whether the robot was @-mentioned. Default true. */
  atBot?: boolean;
  msgId?: string;
  /** Default `text`; for other types pass `content`. */
  msgtype?: string;
  content?: Record<string, unknown>;
}

export interface DriverResponse {
  status: number;
  body: unknown;
}

export interface SignedEvent {
  query: { signature: string; timestamp: string; nonce: string };
  body: { encrypt: string };
}

export interface CardCallbackInput {
  outTrackId: string;
  userId: string;
  params: Record<string, unknown>;
  actionId?: string;
}

const SESSION_LIFETIME_MS = 90 * 60 * 1000;

/**
 * Whether a robot message POSTed in HTTP mode is ever sent again.
 *  - `none` (default): DingTalk documents no retry for robot callbacks (only event subscriptions
 *    retry, after 10 s and 30 s: https://open.dingtalk.com/document/orgapp/configure-event-subcription,
 *    "推送失败…重新推送"); a refused or unanswered message is gone.
 *  - `event-like`: the optimistic case, as if robot callbacks followed the event retry schedule
 *    (`retryDelaysMs`, default 10 s and 30 s) until a 2xx.
 */
export type RobotCallbackRetry = 'none' | 'event-like';

export class DingTalkUserDriver {
  private readonly simulator: DingTalkSimulator;
  private readonly app: DriverApp;
  private readonly now: () => number;
  private readonly robotRetry: RobotCallbackRetry;
  private readonly retryDelaysMs: number[];

  constructor(options: { simulator: DingTalkSimulator; app: DriverApp; now?: () => number; robotRetry?: RobotCallbackRetry; retryDelaysMs?: number[] }) {
    this.simulator = options.simulator;
    this.app = options.app;
    this.now = options.now ?? Date.now;
    this.robotRetry = options.robotRetry ?? 'none';
    this.retryDelaysMs = options.retryDelaysMs ?? [10_000, 30_000];
  }

  private get robotCode(): string {
    return this.app.robotCode || this.app.clientId;
  }

  private get corpId(): string {
    return this.app.corpId ?? this.simulator.apps.get(this.app.clientId)?.corpId ?? 'dingsimcorp0001';
  }

  /** The JSON body DingTalk posts to the robot's message URL (also the Stream `data`). */
  robotMessage(input: RobotMessageInput): Record<string, unknown> {
    const group = input.conversationType === 'group';
    const createAt = this.now();
    const conversationId = input.conversationId ?? (group ? 'cidSimGroup0001' : `cidSimP2P${stableId(this.app.clientId, input.senderStaffId)}`);
    const atBot = group ? (input.atBot ?? true) : true;
    const chatbotUserId = `$:LWCP_v1:$${stableId('bot', this.app.clientId)}`;
    const session = this.simulator.sessions.create({
      clientId: this.app.clientId,
      robotCode: this.robotCode,
      conversationId,
      conversationType: group ? '2' : '1',
      senderStaffId: input.senderStaffId,
      ttlMs: SESSION_LIFETIME_MS,
    });
    const msgtype = input.msgtype ?? 'text';
    return {
      conversationId,
      atUsers: group && atBot ? [{ dingtalkId: chatbotUserId }] : [],
      chatbotCorpId: this.corpId,
      chatbotUserId,
      msgId: input.msgId ?? `msg${randomBytes(12).toString('base64url')}`,
      senderNick: input.senderNick ?? input.senderStaffId,
      isAdmin: false,
      senderStaffId: input.senderStaffId,
      sessionWebhookExpiredTime: createAt + SESSION_LIFETIME_MS,
      createAt,
      senderCorpId: this.corpId,
      conversationType: group ? '2' : '1',
      senderId: `$:LWCP_v1:$${stableId('user', input.senderStaffId)}`,
      ...(group ? { conversationTitle: input.conversationTitle ?? 'Simulated group' } : {}),
      isInAtList: atBot,
      sessionWebhook: session.url,
      robotCode: this.robotCode,
      msgtype,
      ...(msgtype === 'text' ? { text: { content: group && atBot ? ` ${input.text ?? ''}` : (input.text ?? '') } } : { content: input.content ?? {} }),
    };
  }

  /**
   * POSTs a robot message with `timestamp`/`sign` headers (override either to forge). Sent once,
   * unless the driver was made with `robotRetry: 'event-like'`; then the last answer is returned.
   */
  async postRobotMessage(url: string, body: unknown, overrides: { timestamp?: string; sign?: string } = {}): Promise<DriverResponse> {
    const delays = this.robotRetry === 'none' ? [] : this.retryDelaysMs;
    for (let attempt = 0; ; attempt++) {
      const timestamp = overrides.timestamp ?? String(this.now());
      const sign = overrides.sign ?? signRobotRequest(timestamp, this.app.clientSecret);
      const response = await post(url, body, { timestamp, sign }).catch((): DriverResponse => ({ status: 0, body: 'no response' }));
      const delivered = response.status >= 200 && response.status < 300;
      if (delivered || attempt >= delays.length) {
        if (response.status === 0 && delays.length === 0) throw new Error(`robot message to ${url}: no response`);
        return response;
      }
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
  }

  /** An encrypted event callback as DingTalk sends it (`plaintext` is the PascalCase event object). */
  eventCallback(plaintext: unknown, opts: { timestamp?: string; nonce?: string } = {}): SignedEvent {
    if (!this.app.callbackToken || !this.app.callbackAesKey) throw new Error('driver app needs callbackToken and callbackAesKey for events');
    const cipher = createCallbackCipher({ token: this.app.callbackToken, aesKey: this.app.callbackAesKey, ownerKey: this.app.clientId });
    // The signature formula is the same in both directions, so the reply builder signs a request too.
    const signed = cipher.encryptReply(JSON.stringify(plaintext), { timestamp: opts.timestamp ?? String(this.now()), nonce: opts.nonce ?? randomBytes(6).toString('hex') });
    return { query: { signature: signed.msg_signature, timestamp: signed.timeStamp, nonce: signed.nonce }, body: { encrypt: signed.encrypt } };
  }

  async postEvent(
    url: string,
    plaintext: unknown,
    overrides: { timestamp?: string; nonce?: string; signature?: string; encrypt?: string } = {},
  ): Promise<DriverResponse> {
    const event = this.eventCallback(plaintext, overrides);
    const target = new URL(url);
    target.searchParams.set('signature', overrides.signature ?? event.query.signature);
    target.searchParams.set('timestamp', event.query.timestamp);
    target.searchParams.set('nonce', event.query.nonce);
    return post(target.toString(), { encrypt: overrides.encrypt ?? event.body.encrypt }, {});
  }

  /** A card button click ("回传请求") in HTTP mode, with the `x-ddpaas-signature` headers. */
  cardCallback(input: CardCallbackInput, opts: { timestamp?: string } = {}): { body: Record<string, unknown>; headers: Record<string, string> } {
    const timestamp = opts.timestamp ?? String(this.now());
    const secret = this.app.cardCallbackSecret;
    const body = {
      type: 'actionCallback',
      outTrackId: input.outTrackId,
      corpId: this.corpId,
      userId: input.userId,
      content: JSON.stringify({ cardPrivateData: { actionIds: [input.actionId ?? 'action'], params: input.params } }),
    };
    const headers: Record<string, string> = secret ? { 'x-ddpaas-signature-timestamp': timestamp, 'x-ddpaas-signature': signCardCallback(timestamp, secret) } : {};
    return { body, headers };
  }

  async postCardCallback(url: string, input: CardCallbackInput, overrides: { timestamp?: string; signature?: string } = {}): Promise<DriverResponse> {
    const { body, headers } = this.cardCallback(input, overrides);
    if (overrides.signature !== undefined) headers['x-ddpaas-signature'] = overrides.signature;
    return post(url, body, headers);
  }
}

/** Short deterministic id so one user keeps one conversation across messages. */
function stableId(...parts: string[]): string {
  return createHash('sha1').update(parts.join('\u0000')).digest('base64url').slice(0, 16);
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<DriverResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? '' : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}
