/**
 * Maps the Xpert host's SSE messages (`{type:'message'|'event', event?, data}` JSON, see the chat
 * API notes §2) to our `ExpertStreamEvent`s.
 *
 * `mapXpertMessage` is pure and looks at one message. `XpertEventMapper` adds the little state a run
 * needs: one `end` only, tool ends only for tools it saw start, one interrupt per run. Neither throws:
 * the input comes from the network and a bad line must cost us that line, not the answer.
 */
import type { ExpertRunStatus, ExpertStreamEvent } from './expert-runner.port';
import { describeInterrupt } from './interrupt-prompt';
import type { SseMessage } from './sse-parser';
import { isRecord } from '../kernel/is-record';

type Json = Record<string, unknown>;

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function parsePayload(data: string): Json | undefined {
  // `/v1/chat` wraps its keep-alive as data (`: keep-alive`); anything not JSON-object-like is noise.
  if (!data.trimStart().startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(data);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function errorText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (isRecord(value)) return nonEmptyString(value.message) ?? nonEmptyString(value.error);
  return undefined;
}

function mapComponent(message: Json): ExpertStreamEvent[] {
  const id = nonEmptyString(message.id);
  const inner = message.data;
  if (!id || !isRecord(inner)) return [];
  // Tool ends repeat only the id and status; a present category other than Tool is not a tool call.
  if (inner.category !== undefined && inner.category !== 'Tool') return [];
  const status = inner.status;
  if (status === 'success') return [{ type: 'tool_end', id, status: 'success' }];
  if (status === 'fail' || status === 'error') return [{ type: 'tool_end', id, status: 'fail' }];
  if (inner.category === 'Tool' && (status === 'running' || status === undefined)) {
    const name =
      nonEmptyString(inner.tool) ?? nonEmptyString(inner.type) ?? nonEmptyString(inner.toolset) ?? 'tool';
    const title = nonEmptyString(inner.title);
    return [title ? { type: 'tool_start', id, name, title } : { type: 'tool_start', id, name }];
  }
  return [];
}

function mapMessage(data: unknown): ExpertStreamEvent[] {
  // The memory-reply path and non-streaming model ends send the text as a bare string.
  if (typeof data === 'string') return data ? [{ type: 'text', delta: data }] : [];
  if (!isRecord(data)) return [];
  if (data.type === 'text') {
    const delta = nonEmptyString(data.text);
    return delta ? [{ type: 'text', delta }] : [];
  }
  if (data.type === 'component') return mapComponent(data);
  return []; // reasoning deltas and other message kinds are not part of the answer
}

function endStatus(value: unknown, hasError: boolean): ExpertRunStatus {
  if (value === 'idle' || value === 'interrupted' || value === 'error') return value;
  return hasError ? 'error' : 'idle';
}

function mapEvent(event: unknown, data: unknown): ExpertStreamEvent[] {
  switch (event) {
    case 'on_conversation_start': {
      const conversationId = isRecord(data) ? nonEmptyString(data.id) : undefined;
      return conversationId ? [{ type: 'conversation', conversationId }] : [];
    }
    case 'on_interrupt':
      return [{ type: 'interrupt', operation: data, prompt: describeInterrupt(data) }];
    case 'on_conversation_end': {
      const record = isRecord(data) ? data : {};
      const error = errorText(record.error);
      const status = endStatus(record.status, !!error);
      const out: ExpertStreamEvent[] = [];
      // The end carries the pending operation too; surfacing it covers a missed on_interrupt.
      if (status === 'interrupted' && isRecord(record.operation)) {
        out.push({ type: 'interrupt', operation: record.operation, prompt: describeInterrupt(record.operation) });
      }
      out.push(status === 'error' ? { type: 'end', status, error: error ?? 'The expert failed.' } : { type: 'end', status });
      return out;
    }
    case 'on_error': {
      const error = (isRecord(data) ? errorText(data.error) ?? errorText(data) : errorText(data)) ?? 'The expert failed.';
      return [{ type: 'end', status: 'error', error }];
    }
    default:
      return []; // message/agent start and end, progress, retrievers: nothing the chat shows
  }
}

/** Maps one SSE message to zero or more events. Pure; never throws. */
export function mapXpertMessage(message: SseMessage): ExpertStreamEvent[] {
  // Nest writes an Observable error as plain text under `event: error`.
  if (message.event === 'error') {
    return [{ type: 'end', status: 'error', error: message.data.trim() || 'The expert failed.' }];
  }
  // Threads streams from 3.8 close with `event: complete`.
  if (message.event === 'complete') return [{ type: 'end', status: 'idle' }];
  return mapXpertPayload(parsePayload(message.data));
}

/**
 * Maps one already-parsed chat payload (`{type, event?, data}`), e.g. the event of a host dispatch
 * envelope, which carries the same payloads the SSE stream does. Pure; never throws.
 */
export function mapXpertPayload(payload: unknown): ExpertStreamEvent[] {
  if (!isRecord(payload)) return [];
  if (payload.type === 'message') return mapMessage(payload.data);
  if (payload.type === 'event') return mapEvent(payload.event, payload.data);
  return [];
}

/** Per-run state on top of `mapXpertMessage`. Create one per run. */
export class XpertEventMapper {
  private ended = false;
  private interrupted = false;
  private readonly openTools = new Set<string>();

  /** True once an `end` event has been produced; everything after it is dropped. */
  get done(): boolean {
    return this.ended;
  }

  map(message: SseMessage): ExpertStreamEvent[] {
    return this.admit(mapXpertMessage(message));
  }

  /** Same as `map`, for a payload that is already an object (see `mapXpertPayload`). */
  mapPayload(payload: unknown): ExpertStreamEvent[] {
    return this.admit(mapXpertPayload(payload));
  }

  private admit(events: ExpertStreamEvent[]): ExpertStreamEvent[] {
    if (this.ended) return [];
    const out: ExpertStreamEvent[] = [];
    for (const event of events) {
      if (this.ended) break;
      if (event.type === 'tool_start') {
        if (this.openTools.has(event.id)) continue; // a repeated "running" update
        this.openTools.add(event.id);
      } else if (event.type === 'tool_end') {
        if (!this.openTools.delete(event.id)) continue; // not a tool we announced
      } else if (event.type === 'interrupt') {
        if (this.interrupted) continue;
        this.interrupted = true;
      } else if (event.type === 'end') {
        this.ended = true;
      }
      out.push(event);
    }
    return out;
  }
}
