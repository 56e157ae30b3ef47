import { RunStateCache, stateForTool, toolCallIdOf, toolIdempotencyKey } from '../../../src/notify/run-state';

describe('toolIdempotencyKey', () => {
  const config = (ns: string, thread = 't1') => ({ configurable: { thread_id: thread, checkpoint_ns: ns } });

  it('is stable for the same run step and tool call, and differs otherwise', () => {
    const a = toolIdempotencyKey('tool', { config: config('tools:1'), args: { x: 1 }, toolCallId: 'c1' });
    expect(toolIdempotencyKey('tool', { config: config('tools:1'), args: { x: 2 }, toolCallId: 'c1' })).toBe(a);
    expect(toolIdempotencyKey('tool', { config: config('tools:2'), args: { x: 1 }, toolCallId: 'c1' })).not.toBe(a);
    expect(toolIdempotencyKey('tool', { config: config('tools:1', 't2'), args: { x: 1 }, toolCallId: 'c1' })).not.toBe(a);
    expect(toolIdempotencyKey('tool', { config: config('tools:1'), args: { x: 1 }, toolCallId: 'c2' })).not.toBe(a);
    expect(a).toMatch(/^notify:tool:[0-9a-f]{40}$/);
  });

  it('falls back to the arguments (key order does not matter), then to the event id, then to a fresh key', () => {
    const byArgs = toolIdempotencyKey('tool', { config: config('ns'), args: { a: 1, b: [1, { c: 2, d: 3 }] } });
    expect(toolIdempotencyKey('tool', { config: config('ns'), args: { b: [1, { d: 3, c: 2 }], a: 1 } })).toBe(byArgs);
    expect(toolIdempotencyKey('tool', { config: config('ns'), args: { a: 2 } })).not.toBe(byArgs);
    const runContext = { integrationId: 'i', conversationType: 'group' as const, conversationId: 'c', eventId: 'evt-1', language: 'en' as const };
    expect(toolIdempotencyKey('tool', { args: { a: 1 }, runContext })).toBe(toolIdempotencyKey('tool', { args: { a: 1 }, runContext }));
    expect(toolIdempotencyKey('tool', { args: { a: 1 } })).not.toBe(toolIdempotencyKey('tool', { args: { a: 1 } }));
  });
});

describe('tool call id and state', () => {
  it('reads the tool call id where LangChain and the host put it', () => {
    expect(toolCallIdOf({ toolCall: { id: 'a', name: 'n', args: {} } } as never)).toBe('a');
    expect(toolCallIdOf({ metadata: { tool_call_id: 'b' } })).toBe('b');
    expect(toolCallIdOf({ configurable: { tool_call_id: 'c' } })).toBe('c');
    expect(toolCallIdOf({})).toBeUndefined();
    expect(toolCallIdOf(undefined)).toBeUndefined();
  });

  it('outside a graph run the state comes from what the hooks saw for the same thread, never another thread', () => {
    const cache = new RunStateCache(2);
    cache.remember('t1', { human: { input: 'one' } });
    cache.remember('t2', { human: { input: 'two' } });
    expect(stateForTool({ configurable: { thread_id: 't1' } }, cache)).toEqual({ human: { input: 'one' } });
    expect(stateForTool({ configurable: { thread_id: 't3' } }, cache)).toEqual({});
    expect(stateForTool(undefined, cache)).toEqual({});
    cache.remember('t3', { human: {} });
    expect(cache.get('t1')).toBeUndefined(); // bounded
  });
});
