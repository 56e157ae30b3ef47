import type { EventEmitter } from 'node:events';
import type { SimMessage } from '../sandbox/simulator/types';

/**
 * Times each tagged message from its send to the first robot message that echoes its tag. The demo
 * expert answers `**You said:** <text>`, so a text that is just the tag comes back in the answer's
 * first markdown message; later messages of the conversation (updates, the follow-up card) are
 * ignored. Times are taken in the simulator's synchronous `message` event, i.e. the moment DingTalk
 * would have the reply.
 */
export class ReplyWatch {
  private readonly sentAt = new Map<string, number>();
  private readonly repliedMs = new Map<string, number>();
  private readonly waiters = new Map<string, () => void>();
  private readonly pattern: RegExp;
  private readonly listener = (message: SimMessage) => this.onMessage(message);

  constructor(
    private readonly events: EventEmitter,
    private readonly prefix: string,
  ) {
    this.pattern = new RegExp(`You said:\\*\\* (${prefix}-\\w+)`);
    events.on('message', this.listener);
  }

  tag(name: string | number): string {
    return `${this.prefix}-${name}`;
  }

  /** Call right before posting the message that carries `tag`. */
  sent(tag: string): number {
    const now = performance.now();
    this.sentAt.set(tag, now);
    return now;
  }

  get replies(): number[] {
    return [...this.repliedMs.values()];
  }

  /** Resolves true once `tag` has its first reply, false after `timeoutMs`. */
  reply(tag: string, timeoutMs: number): Promise<boolean> {
    if (this.repliedMs.has(tag)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(tag);
        resolve(false);
      }, timeoutMs);
      this.waiters.set(tag, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Forgets everything timed so far (after a warm-up). */
  reset(): void {
    this.sentAt.clear();
    this.repliedMs.clear();
  }

  close(): void {
    this.events.off('message', this.listener);
  }

  private onMessage(message: SimMessage): void {
    const at = performance.now();
    const tag = this.pattern.exec(JSON.stringify(message.content))?.[1];
    const start = tag === undefined ? undefined : this.sentAt.get(tag);
    if (tag === undefined || start === undefined || this.repliedMs.has(tag)) return;
    this.repliedMs.set(tag, at - start);
    this.waiters.get(tag)?.();
    this.waiters.delete(tag);
  }
}
