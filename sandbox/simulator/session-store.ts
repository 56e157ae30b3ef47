import { randomBytes } from 'node:crypto';
import type { SimClock } from './clock';

/**
 * sessionWebhooks handed out with inbound robot messages. A reply posted to one is recorded
 * against the conversation it came from. DingTalk's webhooks live about 90 minutes.
 */
export interface SimSession {
  id: string;
  clientId: string;
  robotCode: string;
  conversationId: string;
  /** '1' single chat, '2' group. */
  conversationType: '1' | '2';
  senderStaffId: string;
  expiresAt: number;
}

export const SESSION_TTL_MS = 90 * 60 * 1000;

export class SessionStore {
  private readonly byId = new Map<string, SimSession>();

  constructor(
    private readonly clock: SimClock,
    private readonly baseUrl: () => string,
  ) {}

  create(input: Omit<SimSession, 'id' | 'expiresAt'> & { ttlMs?: number }): SimSession & { url: string } {
    const { ttlMs, ...rest } = input;
    const session: SimSession = { ...rest, id: randomBytes(12).toString('hex'), expiresAt: this.clock.now() + (ttlMs ?? SESSION_TTL_MS) };
    this.byId.set(session.id, session);
    return { ...session, url: this.urlOf(session.id) };
  }

  get(id: string): SimSession | undefined {
    return this.byId.get(id);
  }

  urlOf(id: string): string {
    return `${this.baseUrl()}/robot/sendBySession?session=${encodeURIComponent(id)}`;
  }
}
