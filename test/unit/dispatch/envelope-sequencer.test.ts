import { chatPayloadOf, readEnvelope, type StoredEnvelope } from '../../../src/dispatch/callback-envelope';
import { DispatchAnswer } from '../../../src/dispatch/dispatch-answer';
import { admitEnvelope, type SequencerState } from '../../../src/dispatch/envelope-sequencer';

const stream = (sequence: number, delta = `d${sequence}`): StoredEnvelope => ({ kind: 'stream', sequence, event: { data: { type: 'message', data: { type: 'text', text: delta } } } });

/** Feeds envelopes in the given order; returns the sequences in the order they were applied. */
function play(order: StoredEnvelope[]): { applied: number[]; duplicates: number; state: SequencerState } {
  let state: SequencerState = { nextSequence: 1, buffered: {} };
  const applied: number[] = [];
  let duplicates = 0;
  for (const envelope of order) {
    const admission = admitEnvelope(state, envelope);
    if (admission.duplicate) duplicates += 1;
    applied.push(...admission.ready.map((e) => e.sequence));
    state = admission.state;
  }
  return { applied, duplicates, state };
}

describe('admitEnvelope', () => {
  it('applies envelopes that arrive in order one by one', () => {
    expect(play([stream(1), stream(2), stream(3)])).toEqual({ applied: [1, 2, 3], duplicates: 0, state: { nextSequence: 4, buffered: {} } });
  });

  it('holds early envelopes and releases them, in order, when the gap closes', () => {
    const first = admitEnvelope({ nextSequence: 1, buffered: {} }, stream(3));
    expect(first).toMatchObject({ duplicate: false, ready: [] });
    expect(Object.keys(first.state.buffered)).toEqual(['3']);
    expect(play([stream(3), stream(2), stream(5), stream(1), stream(4)]).applied).toEqual([1, 2, 3, 4, 5]);
  });

  it('drops an envelope seen before, whether already applied or still waiting', () => {
    const result = play([stream(1), stream(1), stream(3), stream(3), stream(2), stream(2), stream(3)]);
    expect(result.applied).toEqual([1, 2, 3]);
    expect(result.duplicates).toBe(4);
  });

  it('applies every permutation of five envelopes in sequence order, each once', () => {
    const permutations = (items: number[]): number[][] => (items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest])));
    for (const order of permutations([1, 2, 3, 4, 5])) {
      expect(play(order.map((n) => stream(n))).applied).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('ends the run with an error envelope that arrives under an already applied sequence (the host numbers it 1)', () => {
    const state: SequencerState = { nextSequence: 4, buffered: {} };
    const late: StoredEnvelope = { kind: 'error', sequence: 1, error: 'enqueue failed' };
    expect(admitEnvelope(state, late)).toEqual({ duplicate: false, ready: [late], state });
    expect(admitEnvelope(state, stream(1))).toMatchObject({ duplicate: true, ready: [] });
  });

  it('leaves the given state untouched (the caller stores the new one only after applying)', () => {
    const state: SequencerState = { nextSequence: 2, buffered: { '4': stream(4) } };
    admitEnvelope(state, stream(2));
    admitEnvelope(state, stream(3));
    expect(state).toEqual({ nextSequence: 2, buffered: { '4': stream(4) } });
  });
});

describe('readEnvelope', () => {
  const message = (payload: unknown) => ({ id: 'm', type: 't', version: 1, tenantId: 't', sessionKey: 's', businessKey: 'b', attempt: 1, maxAttempts: 1, enqueuedAt: 0, traceId: 'x', payload }) as never;

  it('reads an envelope of ours and names what is wrong with anything else', () => {
    expect(readEnvelope(message({ kind: 'complete', sequence: 4, sourceMessageId: 'src', context: { runId: 'run-1' } }))).toEqual({ kind: 'complete', sequence: 4, sourceMessageId: 'src', runId: 'run-1' });
    expect(readEnvelope(message({ kind: 'other', sequence: 1, sourceMessageId: 'src', context: { runId: 'r' } }))).toEqual({ invalid: expect.stringContaining('kind') });
    expect(readEnvelope(message({ kind: 'stream', sequence: 0, sourceMessageId: 'src', context: { runId: 'r' } }))).toEqual({ invalid: expect.stringContaining('sequence') });
    expect(readEnvelope(message({ kind: 'stream', sequence: 1, sourceMessageId: 'src' }))).toEqual({ invalid: expect.stringContaining('run id') });
    expect(readEnvelope(message(undefined))).toEqual({ invalid: expect.stringContaining('payload') });
  });

  it('unwraps the chat payload of a Nest MessageEvent, a bare payload, or JSON text', () => {
    const payload = { type: 'event', event: 'on_conversation_start', data: { id: 'c' } };
    expect(chatPayloadOf({ data: payload })).toEqual(payload);
    expect(chatPayloadOf(payload)).toEqual(payload);
    expect(chatPayloadOf({ data: JSON.stringify(payload) })).toEqual(payload);
    expect(chatPayloadOf({ data: ': keep-alive' })).toBeUndefined();
  });
});

describe('DispatchAnswer', () => {
  it('keeps a compact log that replays to the same answer and state', () => {
    const answer = new DispatchAnswer();
    const tool = (status: string) => ({ kind: 'stream' as const, sequence: 0, event: { data: { type: 'message', data: { id: 'call', type: 'component', data: status === 'running' ? { category: 'Tool', tool: 'search', status } : { status } } } } });
    const live = [stream(1, 'Hel'), stream(2, 'lo'), tool('running'), tool('success'), stream(3, ' there')].flatMap((e) => answer.apply(e));
    expect(answer.log).toHaveLength(4); // "Hello", tool start, tool end, " there"
    const { answer: again, events } = DispatchAnswer.replay(answer.log);
    expect(events.filter((e) => e.type !== 'text')).toEqual(live.filter((e) => e.type !== 'text'));
    expect(events.map((e) => (e.type === 'text' ? e.delta : '')).join('')).toBe('Hello there');
    // A tool end the replayed answer has seen already is not announced twice.
    expect(again.apply(tool('success'))).toEqual([]);
    expect(again.apply({ kind: 'complete', sequence: 9 })).toEqual([{ type: 'end', status: 'idle' }]);
    expect(again.result()).toMatchObject({ text: 'Hello there', status: 'idle' });
    expect(again.ended).toBe(true);
  });

  it('ends in error with the host reason on an error envelope', () => {
    const answer = new DispatchAnswer();
    answer.apply(stream(1, 'partial'));
    expect(answer.apply({ kind: 'error', sequence: 2, error: 'quota' })).toEqual([{ type: 'end', status: 'error', error: 'quota' }]);
    expect(answer.result()).toMatchObject({ status: 'error', error: 'quota', text: 'partial' });
  });
});
