import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { SimClock } from './clock';
import type { SimMessage, SimMessageEvent } from './types';

/**
 * Everything the robot put into chats. Records are only changed through the simulated APIs (send,
 * recall, card update/stream), so tests and the sandbox page see what a DingTalk user would see.
 * Emits `message` with a copy on every change.
 */
export class MessageStore {
  private readonly records: SimMessage[] = [];
  private seq = 0;

  constructor(
    private readonly clock: SimClock,
    private readonly events: EventEmitter,
  ) {}

  newProcessQueryKey(): string {
    return randomBytes(18).toString('base64url');
  }

  add(input: Omit<SimMessage, 'id' | 'status' | 'history' | 'sentAt'>): SimMessage {
    const at = this.clock.now();
    const message: SimMessage = {
      ...input,
      id: `simmsg_${++this.seq}`,
      status: 'sent',
      history: [{ at, event: 'sent', content: structuredClone(input.content) }],
      sentAt: at,
    };
    this.records.push(message);
    this.emit(message);
    return message;
  }

  /** Live records (for the routes); callers outside the simulator get copies via `list()`. */
  byProcessQueryKey(key: string): SimMessage[] {
    return this.records.filter((m) => m.processQueryKey === key);
  }

  byOutTrackId(outTrackId: string): SimMessage | undefined {
    return this.records.find((m) => m.outTrackId === outTrackId);
  }

  /** Records a change on a live record. */
  change(message: SimMessage, event: SimMessageEvent['event'], content?: unknown): void {
    if (content !== undefined) message.content = content;
    message.status = event === 'recalled' ? 'recalled' : event === 'sent' ? message.status : 'updated';
    message.history.push({ at: this.clock.now(), event, ...(content !== undefined ? { content: structuredClone(content) } : {}) });
    this.emit(message);
  }

  list(): SimMessage[] {
    return structuredClone(this.records);
  }

  /** Puts back what a previous simulator showed (the sandbox keeps its chats across restarts). */
  restore(records: readonly SimMessage[]): void {
    this.records.splice(0, this.records.length, ...structuredClone(records as SimMessage[]));
    this.seq = Math.max(this.seq, ...this.records.map((m) => Number(/(\d+)$/.exec(m.id)?.[1] ?? 0)));
  }

  clear(): void {
    this.records.length = 0;
  }

  private emit(message: SimMessage): void {
    this.events.emit('message', structuredClone(message));
  }
}
