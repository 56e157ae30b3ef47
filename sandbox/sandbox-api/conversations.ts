import { DEMO_HTTP, DEMO_STREAM } from '../demo';

/**
 * The simulated chats the sandbox page shows: per demo integration one private chat and one group.
 * Ids are fixed so a reload (or a restart on the same data folder) continues the same sessions.
 */

export type DemoIntegration = typeof DEMO_HTTP | typeof DEMO_STREAM;
export type ConversationKind = 'private' | 'group';

export interface SandboxUser {
  id: string;
  nick: string;
}

export const SANDBOX_USERS: readonly SandboxUser[] = [
  { id: 'sandbox.alice', nick: 'Alice' },
  { id: 'sandbox.bob', nick: 'Bob' },
  { id: 'sandbox.carol', nick: 'Carol' },
];

export interface SandboxWindow {
  /** Also the `data-testid` suffix: `${mode}-${conversation}`. */
  key: string;
  integrationId: string;
  clientId: string;
  mode: 'http' | 'stream';
  conversation: ConversationKind;
  title: string;
  /** Group: the openConversationId; private: absent (DingTalk's 1:1 id is derived from the user). */
  conversationId?: string;
  /** Private: the one user chatting with the bot. */
  userId?: string;
}

export const DEMO_INTEGRATIONS: readonly DemoIntegration[] = [DEMO_HTTP, DEMO_STREAM];

export function integrationById(id: unknown): DemoIntegration | undefined {
  return DEMO_INTEGRATIONS.find((integration) => integration.id === id);
}

export function groupConversationId(integration: DemoIntegration): string {
  return `cidSandboxGroup${integration.options.mode === 'http' ? 'Http' : 'Stream'}`;
}

export function sandboxWindows(): SandboxWindow[] {
  return DEMO_INTEGRATIONS.flatMap((integration) => {
    const mode = integration.options.mode;
    const label = mode === 'http' ? 'HTTP mode' : 'Stream mode';
    const base = { integrationId: integration.id, clientId: integration.options.clientId, mode };
    return [
      { ...base, key: `${mode}-private`, conversation: 'private' as const, title: `${label} · private chat (${SANDBOX_USERS[0].nick})`, userId: SANDBOX_USERS[0].id },
      { ...base, key: `${mode}-group`, conversation: 'group' as const, title: `${label} · group chat`, conversationId: groupConversationId(integration) },
    ];
  });
}

/** What a simulated user typed; the simulator only records what the bot sent, so we keep these. */
export interface UserMessage {
  id: string;
  windowKey: string;
  userId: string;
  nick: string;
  text: string;
  atBot: boolean;
  sentAt: number;
  /** How the plugin took it: HTTP status, or Stream ACK. */
  delivery: string;
}

const MAX_USER_MESSAGES = 500;

export class UserMessageLog {
  private readonly items: UserMessage[] = [];
  private seq = 0;

  add(input: Omit<UserMessage, 'id' | 'sentAt' | 'delivery'>): UserMessage {
    const message: UserMessage = { ...input, id: `usermsg_${++this.seq}`, sentAt: Date.now(), delivery: 'sending' };
    this.items.push(message);
    if (this.items.length > MAX_USER_MESSAGES) this.items.shift();
    return message;
  }

  list(): UserMessage[] {
    return this.items.map((m) => ({ ...m }));
  }

  /** What an earlier run of the sandbox kept (its history file). */
  restore(items: readonly UserMessage[]): void {
    this.items.splice(0, this.items.length, ...items.slice(-MAX_USER_MESSAGES).map((m) => ({ ...m })));
    this.seq = Math.max(this.seq, ...this.items.map((m) => Number(/(\d+)$/.exec(m.id)?.[1] ?? 0)));
  }
}
