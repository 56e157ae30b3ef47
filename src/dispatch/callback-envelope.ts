/**
 * Reading the host's callback envelopes (`AgentChatCallbackEnvelopePayload`). They come from the
 * host's queue, so everything is checked; a malformed envelope is answered `dead` with the reason.
 */
import type { HandoffMessage } from '../host/handoff.contract';
import { isRecord } from '../kernel/is-record';

/** The part of an envelope the reply needs, as stored while it waits for its turn. */
export interface StoredEnvelope {
  kind: 'stream' | 'complete' | 'error';
  sequence: number;
  event?: unknown;
  error?: string;
}

export interface CallbackEnvelope extends StoredEnvelope {
  sourceMessageId: string;
  /** Our run id, from the context we put into the dispatch. */
  runId: string;
}


/** The envelope of `message`, or the reason it is not one of ours. */
export function readEnvelope(message: HandoffMessage | undefined): CallbackEnvelope | { invalid: string } {
  const payload = isRecord(message) ? message.payload : undefined;
  if (!isRecord(payload)) return { invalid: 'the callback message has no payload' };
  const { kind, sequence, sourceMessageId, context } = payload;
  if (kind !== 'stream' && kind !== 'complete' && kind !== 'error') return { invalid: `unknown envelope kind ${String(kind)}` };
  if (typeof sequence !== 'number' || !Number.isInteger(sequence) || sequence < 1) return { invalid: 'the envelope sequence is not a positive integer' };
  if (typeof sourceMessageId !== 'string' || !sourceMessageId) return { invalid: 'the envelope names no source message' };
  const runId = isRecord(context) && typeof context.runId === 'string' && context.runId ? context.runId : undefined;
  if (!runId) return { invalid: 'the envelope context carries no run id (not a DingTalk dispatch)' };
  return {
    kind,
    sequence,
    sourceMessageId,
    runId,
    ...(payload.event !== undefined ? { event: payload.event } : {}),
    ...(typeof payload.error === 'string' ? { error: payload.error } : {}),
  };
}

/**
 * The chat payload (`{type, event?, data}`) inside a stream envelope's event. The host forwards its
 * chat command's Nest `MessageEvent`s, i.e. `{data: <payload>}`; a bare payload, or one serialised
 * as JSON text, is accepted too.
 */
export function chatPayloadOf(event: unknown): unknown {
  if (isRecord(event) && (event.type === 'message' || event.type === 'event')) return event;
  const data = isRecord(event) ? event.data : undefined;
  if (isRecord(data)) return data;
  if (typeof data === 'string' && data.trimStart().startsWith('{')) {
    try {
      return JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
