import type { ExpertRunResult, ExpertStreamEvent } from '../runner/expert-runner.port';
import { RunAccumulator } from '../runner/xpert-api.runner';
import { XpertEventMapper } from '../runner/xpert-event.mapper';
import { chatPayloadOf, type StoredEnvelope } from './callback-envelope';
import { isRecord } from '../kernel/is-record';


/**
 * What a dispatched run's envelopes add up to, built with the same mapper and accumulator as the
 * threads-API runner, so both runners feed the reply path the same events.
 *
 * `log` is what must be replayed to get back here (after a crash, or on another replica): only
 * the chat payloads that produced events, with consecutive text deltas joined into one — a long
 * answer stays one entry per tool boundary, not one per delta.
 */
export class DispatchAnswer {
  private readonly mapper = new XpertEventMapper();
  private readonly acc = new RunAccumulator();
  private readonly entries: unknown[] = [];

  /** Rebuilds the answer from a stored log; returns the events the log stands for, in order. */
  static replay(log: readonly unknown[]): { answer: DispatchAnswer; events: ExpertStreamEvent[] } {
    const answer = new DispatchAnswer();
    const events: ExpertStreamEvent[] = [];
    for (const payload of log) events.push(...answer.take(payload));
    return { answer, events };
  }

  get log(): unknown[] {
    return [...this.entries];
  }

  /** True once the run has ended (an end event was produced). */
  get ended(): boolean {
    return this.mapper.done;
  }

  /** The events one envelope adds. After the end, nothing. */
  apply(envelope: StoredEnvelope): ExpertStreamEvent[] {
    if (envelope.kind === 'stream') return this.take(chatPayloadOf(envelope.event));
    // The run is over: `complete` without a closing chat event ends it as the threads stream's
    // `event: complete` does; `error` ends it in error with the host's reason.
    const message = envelope.kind === 'complete' ? { event: 'complete', data: '' } : { event: 'error', data: envelope.error ?? '' };
    const events = this.mapper.map(message);
    for (const event of events) this.acc.apply(event);
    return events;
  }

  result(): ExpertRunResult {
    return this.acc.result();
  }

  private take(payload: unknown): ExpertStreamEvent[] {
    const events = this.mapper.mapPayload(payload);
    if (events.length === 0) return events;
    for (const event of events) this.acc.apply(event);
    if (!events.some((event) => event.type === 'end')) this.remember(payload, events);
    return events;
  }

  private remember(payload: unknown, events: ExpertStreamEvent[]): void {
    if (!events.every((event) => event.type === 'text')) {
      this.entries.push(payload);
      return;
    }
    const text = events.map((event) => (event.type === 'text' ? event.delta : '')).join('');
    const last = this.entries[this.entries.length - 1];
    if (isTextEntry(last)) last.data.text += text;
    else this.entries.push({ type: 'message', data: { type: 'text', text } });
  }
}

function isTextEntry(value: unknown): value is { type: 'message'; data: { type: 'text'; text: string } } {
  return isRecord(value) && value.type === 'message' && isRecord(value.data) && value.data.type === 'text' && typeof value.data.text === 'string' && Object.keys(value.data).length === 2;
}
