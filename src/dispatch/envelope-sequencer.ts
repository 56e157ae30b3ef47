import type { StoredEnvelope } from './callback-envelope';

/** Where a run's envelope stream stands: the next sequence to apply, and the ones that came early. */
export interface SequencerState {
  nextSequence: number;
  buffered: Record<string, StoredEnvelope>;
}

export interface Admission {
  /** Seen before (applied, or already waiting): nothing to do. */
  duplicate: boolean;
  /** The envelopes to apply now, in sequence order (empty when this one must wait). */
  ready: StoredEnvelope[];
  /** The state once `ready` is applied. */
  state: SequencerState;
}

/**
 * Orders a run's envelopes: the host numbers them 1, 2, 3 … but its queue may deliver them twice
 * or out of order. An envelope below the next sequence (or already waiting) is a duplicate; one
 * above it waits; the expected one is applied together with every waiting one that follows it
 * without a gap. Pure: the caller persists the returned state only once `ready` was applied.
 */
export function admitEnvelope(state: SequencerState, envelope: StoredEnvelope): Admission {
  const key = String(envelope.sequence);
  // The host reports a dispatch that failed outside the chat stream as an `error` envelope numbered
  // 1 whatever it streamed before. No run that is still open has seen an error (it would have
  // ended), so a "late" error is news: the run ends with it now.
  if (envelope.kind === 'error' && envelope.sequence < state.nextSequence) return { duplicate: false, ready: [envelope], state };
  if (envelope.sequence < state.nextSequence || key in state.buffered) return { duplicate: true, ready: [], state };
  if (envelope.sequence > state.nextSequence) {
    return { duplicate: false, ready: [], state: { nextSequence: state.nextSequence, buffered: { ...state.buffered, [key]: envelope } } };
  }
  const buffered = { ...state.buffered };
  const ready = [envelope];
  let next = envelope.sequence + 1;
  while (String(next) in buffered) {
    ready.push(buffered[String(next)]);
    delete buffered[String(next)];
    next += 1;
  }
  return { duplicate: false, ready, state: { nextSequence: next, buffered } };
}

/** The stored form of an envelope: what the reply needs, no context. */
export function toStored(envelope: StoredEnvelope): StoredEnvelope {
  return {
    kind: envelope.kind,
    sequence: envelope.sequence,
    ...(envelope.event !== undefined ? { event: envelope.event } : {}),
    ...(envelope.error !== undefined ? { error: envelope.error } : {}),
  };
}
