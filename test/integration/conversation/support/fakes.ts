import type { IntegrationRecord } from '../../../../src/kernel/integration';
import type { StoredMessageEvent } from '../../../../src/conversation/job-payloads';
import { IntegrationRecords } from '../../../../src/host/integration-records.port';
import type { ReplyActions, ReplyPort, ReplySession } from '../../../../src/reply/reply.port';
import type { ReplyTarget } from '../../../../src/kernel/run-context';
import type { ExpertRunResult, ExpertStreamEvent } from '../../../../src/runner/expert-runner.port';

/** A settable clock; starts a day ahead of real time so rows the database stamps with now() are already due. */
export class FakeClock {
  value: number;

  constructor(start = Math.floor((Date.now() + 24 * 3600 * 1000) / 1000) * 1000) {
    this.value = start;
  }

  readonly now = (): number => this.value;

  advance(ms: number): void {
    this.value += ms;
  }
}

export interface RecordedReply {
  target: ReplyTarget;
  key: string;
  events: ExpertStreamEvent[];
  finished?: { result: ExpertRunResult; actions: ReplyActions };
}

export interface RecordedNotice {
  target: ReplyTarget;
  key: string;
  text: string;
  actions?: ReplyActions;
}

/** The reply port as the engine sees it; notices are idempotent by key like the real one (P15). */
export class RecordingReply implements ReplyPort {
  readonly replies: RecordedReply[] = [];
  readonly notices: RecordedNotice[] = [];
  /** What reached the chat first: `notice:<text>` and `answer:<key>` (first text of an answer), in order. */
  readonly timeline: string[] = [];
  failNotices = 0;

  async open(target: ReplyTarget, key: string): Promise<ReplySession> {
    const reply: RecordedReply = { target, key, events: [] };
    this.replies.push(reply);
    return {
      onEvent: async (event) => {
        if (event.type === 'text' && !reply.events.some((e) => e.type === 'text')) this.timeline.push(`answer:${key}`);
        reply.events.push(event);
      },
      finish: async (result, actions) => void (reply.finished = { result, actions }),
    };
  }

  async notice(target: ReplyTarget, key: string, text: string, actions?: ReplyActions): Promise<void> {
    if (this.failNotices > 0) {
      this.failNotices -= 1;
      throw new Error('DingTalk unreachable (test)');
    }
    if (this.notices.some((notice) => notice.key === key)) return;
    this.notices.push({ target, key, text, ...(actions ? { actions } : {}) });
    this.timeline.push(`notice:${text}`);
  }

  /** The text the user saw streaming for each reply, in order. */
  streamedTexts(): string[] {
    return this.replies.map((reply) => reply.events.flatMap((event) => (event.type === 'text' ? [event.delta] : [])).join(''));
  }

  finishedReplies(): RecordedReply[] {
    return this.replies.filter((reply) => reply.finished);
  }
}

/** Host integration records held in memory. */
export class MemoryIntegrationRecords extends IntegrationRecords {
  readonly records = new Map<string, IntegrationRecord<Record<string, unknown>>>();
  failing = false;

  add(record: IntegrationRecord<Record<string, unknown>>): void {
    this.records.set(record.id, record);
  }

  async get(id: string): Promise<IntegrationRecord<Record<string, unknown>> | null> {
    if (this.failing) throw Object.assign(new Error('host database down'), { code: 'ECONNREFUSED' });
    return this.records.get(id) ?? null;
  }

  async listByProvider(provider: string): Promise<IntegrationRecord<Record<string, unknown>>[]> {
    return [...this.records.values()].filter((record) => record.provider === provider);
  }
}

export const APP = { clientId: 'dingconvtestapp', clientSecret: 'conv-app-secret-0123456789', mode: 'stream' };

export function integrationRecord(id: string, options: Record<string, unknown> = {}, provider = 'dingtalk'): IntegrationRecord<Record<string, unknown>> {
  return { id, tenantId: 'tenant-1', organizationId: 'org-1', name: id, provider, options: { ...APP, preferredLanguage: 'en', ...options } };
}

let counter = 0;

/** A robot message as intake would queue it. */
export function robotMessage(overrides: Partial<StoredMessageEvent> = {}): StoredMessageEvent & { raw: Record<string, unknown> } {
  counter += 1;
  return {
    kind: 'message',
    eventId: `msg-${counter}-${Math.random().toString(36).slice(2, 8)}`,
    msgType: 'text',
    conversationType: 'private',
    conversationId: 'cid-private-1',
    senderId: '$:LWCP_v1:$sender1',
    senderStaffId: 'staff-1',
    senderNick: 'Alice',
    chatbotUserId: 'bot-1',
    robotCode: APP.clientId,
    isInAtList: true,
    atUsers: [],
    sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=abc',
    sessionWebhookExpiresAt: Date.now() + 3600_000,
    createdAt: Date.now(),
    text: 'hello',
    attachments: [],
    raw: {},
    ...overrides,
  };
}
