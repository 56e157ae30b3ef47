import fc from 'fast-check';
import type { ExpertStreamEvent } from '../../../src/runner/expert-runner.port';
import { buildHitlResume, countActionRequests, describeInterrupt } from '../../../src/runner/interrupt-prompt';
import { SseMessage, SseParser } from '../../../src/runner/sse-parser';
import { mapXpertMessage, XpertEventMapper } from '../../../src/runner/xpert-event.mapper';

const data = (payload: unknown): SseMessage => ({ data: JSON.stringify(payload) });
const ev = (event: string, body: unknown): SseMessage => data({ type: 'event', event, data: body });
const msg = (body: unknown): SseMessage => data({ type: 'message', data: body });

const HITL_OPERATION = {
  tasks: [
    {
      id: 't1',
      name: 'hitl',
      interrupts: [
        {
          id: 'i1',
          value: {
            actionRequests: [
              { name: 'send_email', args: { to: 'ops@example.com' } },
              { name: 'delete_file', args: { path: 'a.txt' }, description: 'irreversible' },
            ],
            reviewConfigs: [{ actionName: 'send_email', allowedDecisions: ['approve', 'reject'] }],
          },
        },
      ],
    },
  ],
};

/** A stream shaped like the host's (threads API, 3.8 flavour with `event: complete`). */
const RECORDED = [
  '\n',
  'id: 1\ndata: {"type":"event","event":"on_conversation_start","data":{"id":"conv-1","title":"Hi","status":"busy"}}\n\n',
  'id: 2\ndata: {"type":"event","event":"on_message_start","data":{"id":"m1","role":"ai","status":"thinking"}}\n\n',
  'id: 3\ndata: {"type":"event","event":"on_agent_start","data":{"id":"e1","status":"running"}}\n\n',
  'id: 4\ndata: {"type":"message","data":{"type":"reasoning","text":"hmm"}}\n\n',
  'id: 5\ndata: {"type":"message","data":{"type":"text","text":"你好，"}}\n\n',
  'id: 6\ndata: {"type":"message","data":{"id":"call_1","type":"component","data":{"category":"Tool","tool":"search","title":"Searching","status":"running"}}}\n\n',
  'id: 7\ndata: : keep-alive\ndata: \ndata: \n\n',
  'id: 8\ndata: {"type":"message","data":{"id":"call_1","type":"component","data":{"status":"success","output":"ok"}}}\n\n',
  'id: 9\ndata: {"type":"message","data":"世界 🌏"}\n\n',
  `id: 10\ndata: ${JSON.stringify({ type: 'event', event: 'on_interrupt', data: HITL_OPERATION })}\n\n`,
  'id: 11\ndata: {"type":"event","event":"on_agent_end","data":{"id":"e1","status":"interrupted"}}\n\n',
  `id: 12\ndata: ${JSON.stringify({ type: 'event', event: 'on_conversation_end', data: { id: 'conv-1', status: 'interrupted', operation: HITL_OPERATION, error: null } })}\n\n`,
  'event: complete\nid: 13\ndata: {"type":"complete"}\n\n',
].join('');

function runStream(parts: (string | Uint8Array)[]): ExpertStreamEvent[] {
  const parser = new SseParser();
  const mapper = new XpertEventMapper();
  const out: ExpertStreamEvent[] = [];
  for (const part of parts) for (const m of parser.push(part)) out.push(...mapper.map(m));
  for (const m of parser.end()) out.push(...mapper.map(m));
  return out;
}

describe('mapXpertMessage', () => {
  it('ignores keep-alive data that is not JSON, and broken JSON', () => {
    expect(mapXpertMessage({ data: ': keep-alive\n\n' })).toEqual([]);
    expect(mapXpertMessage({ data: '{"type":"message",' })).toEqual([]);
    expect(mapXpertMessage({ data: '[1,2]' })).toEqual([]);
  });

  it('turns a plain-text `event: error` into an error end', () => {
    expect(mapXpertMessage({ event: 'error', data: 'Xpert not found' })).toEqual([{ type: 'end', status: 'error', error: 'Xpert not found' }]);
    expect(mapXpertMessage({ event: 'error', data: '' })).toEqual([{ type: 'end', status: 'error', error: 'The expert failed.' }]);
  });

  it('maps text deltas given as objects or bare strings, and skips reasoning', () => {
    expect(mapXpertMessage(msg({ type: 'text', text: 'Hel', id: 'x' }))).toEqual([{ type: 'text', delta: 'Hel' }]);
    expect(mapXpertMessage(msg('lo'))).toEqual([{ type: 'text', delta: 'lo' }]);
    expect(mapXpertMessage(msg({ type: 'reasoning', text: 'thinking' }))).toEqual([]);
    expect(mapXpertMessage(msg({ type: 'text', text: '' }))).toEqual([]);
  });

  it('maps tool components: running → start, success/fail → end; other categories ignored', () => {
    expect(mapXpertMessage(msg({ id: 'c1', type: 'component', data: { category: 'Tool', tool: 'search', title: 'Look up', status: 'running' } }))).toEqual([
      { type: 'tool_start', id: 'c1', name: 'search', title: 'Look up' },
    ]);
    expect(mapXpertMessage(msg({ id: 'c1', type: 'component', data: { status: 'success' } }))).toEqual([{ type: 'tool_end', id: 'c1', status: 'success' }]);
    expect(mapXpertMessage(msg({ id: 'c1', type: 'component', data: { status: 'fail' } }))).toEqual([{ type: 'tool_end', id: 'c1', status: 'fail' }]);
    expect(mapXpertMessage(msg({ id: 'c2', type: 'component', data: { category: 'Computer', status: 'running' } }))).toEqual([]);
    expect(mapXpertMessage(msg({ id: 'k', type: 'component', data: { category: 'Tool', type: 'knowledges', status: 'running' } }))).toEqual([
      { type: 'tool_start', id: 'k', name: 'knowledges' },
    ]);
    expect(mapXpertMessage(msg({ type: 'component', data: { category: 'Tool', status: 'running' } }))).toEqual([]);
  });

  it('maps conversation start, interrupt, conversation end and on_error', () => {
    expect(mapXpertMessage(ev('on_conversation_start', { id: 'conv-9' }))).toEqual([{ type: 'conversation', conversationId: 'conv-9' }]);
    const [interrupt] = mapXpertMessage(ev('on_interrupt', HITL_OPERATION));
    expect(interrupt).toEqual({ type: 'interrupt', operation: HITL_OPERATION, prompt: describeInterrupt(HITL_OPERATION) });
    expect(mapXpertMessage(ev('on_conversation_end', { status: 'idle', operation: null, error: null }))).toEqual([{ type: 'end', status: 'idle' }]);
    expect(mapXpertMessage(ev('on_conversation_end', { status: 'error', error: 'model down' }))).toEqual([{ type: 'end', status: 'error', error: 'model down' }]);
    expect(mapXpertMessage(ev('on_conversation_end', { status: 'interrupted', operation: HITL_OPERATION }))).toEqual([
      { type: 'interrupt', operation: HITL_OPERATION, prompt: describeInterrupt(HITL_OPERATION) },
      { type: 'end', status: 'interrupted' },
    ]);
    expect(mapXpertMessage(ev('on_error', { error: 'redis gone' }))).toEqual([{ type: 'end', status: 'error', error: 'redis gone' }]);
  });

  it('maps `event: complete` to an idle end and ignores unknown or uninteresting events', () => {
    expect(mapXpertMessage({ event: 'complete', data: '{"type":"complete"}' })).toEqual([{ type: 'end', status: 'idle' }]);
    for (const name of ['on_message_start', 'on_agent_end', 'on_chat_event', 'on_something_new']) {
      expect(mapXpertMessage(ev(name, { id: 'x' }))).toEqual([]);
    }
    expect(mapXpertMessage(data({ type: 'mystery', data: {} }))).toEqual([]);
  });
});

describe('XpertEventMapper', () => {
  it('maps a recorded stream: one end, tool end after its start, one interrupt', () => {
    expect(runStream([RECORDED])).toEqual([
      { type: 'conversation', conversationId: 'conv-1' },
      { type: 'text', delta: '你好，' },
      { type: 'tool_start', id: 'call_1', name: 'search', title: 'Searching' },
      { type: 'tool_end', id: 'call_1', status: 'success' },
      { type: 'text', delta: '世界 🌏' },
      { type: 'interrupt', operation: HITL_OPERATION, prompt: describeInterrupt(HITL_OPERATION) },
      { type: 'end', status: 'interrupted' },
    ]);
  });

  it('drops tool ends it never saw start, repeated starts, and everything after the end', () => {
    const mapper = new XpertEventMapper();
    const start = msg({ id: 'a', type: 'component', data: { category: 'Tool', tool: 't', status: 'running' } });
    expect(mapper.map(msg({ id: 'zzz', type: 'component', data: { status: 'success' } }))).toEqual([]);
    expect(mapper.map(start)).toHaveLength(1);
    expect(mapper.map(start)).toEqual([]);
    expect(mapper.map(ev('on_conversation_end', { status: 'error', error: 'x' }))).toEqual([{ type: 'end', status: 'error', error: 'x' }]);
    expect(mapper.done).toBe(true);
    expect(mapper.map({ event: 'error', data: 'late' })).toEqual([]);
    expect(mapper.map(msg('late text'))).toEqual([]);
  });

  it('gives the same events for any chunking of the recorded stream, in strings or bytes (fuzz)', () => {
    const expected = runStream([RECORDED]);
    const bytes = new Uint8Array(Buffer.from(RECORDED, 'utf8'));
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 50 }), fc.boolean(), (offsets, asBytes) => {
        const whole: string | Uint8Array = asBytes ? bytes : RECORDED;
        const points = [...new Set(offsets.map((o) => o % (whole.length + 1)))].sort((a, b) => a - b);
        const parts: (string | Uint8Array)[] = [];
        let last = 0;
        for (const p of points) {
          parts.push(whole.slice(last, p));
          last = p;
        }
        parts.push(whole.slice(last));
        expect(runStream(parts)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on garbage messages or odd JSON payloads (fuzz)', () => {
    const garbage = fc.record({ event: fc.option(fc.string(), { nil: undefined }), id: fc.option(fc.string(), { nil: undefined }), data: fc.string() });
    const jsonish = fc
      .record({
        type: fc.constantFrom('message', 'event', 'x'),
        event: fc.constantFrom('on_conversation_start', 'on_conversation_end', 'on_interrupt', 'on_error', 'on_tool_start', 'z'),
        data: fc.anything(),
      })
      .map((payload) => ({ data: JSON.stringify(payload) ?? '' }) as SseMessage);
    fc.assert(
      fc.property(fc.array(fc.oneof(garbage, jsonish)), (messages) => {
        const mapper = new XpertEventMapper();
        let ends = 0;
        for (const m of messages) {
          for (const e of mapper.map(m)) if (e.type === 'end') ends++;
        }
        expect(ends).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });
});

describe('interrupt prompt and resume value', () => {
  it('summarises HITL action requests with their arguments', () => {
    expect(describeInterrupt(HITL_OPERATION)).toBe('- send_email {"to":"ops@example.com"}\n- delete_file {"path":"a.txt"} (irreversible)');
  });

  it('falls back to client tool calls, a question, the task call, then a generic line', () => {
    expect(describeInterrupt({ tasks: [{ interrupts: [{ value: { clientToolCalls: [{ name: 'pick_file', args: {} }] } }] }] })).toBe('- pick_file');
    expect(describeInterrupt({ tasks: [{ interrupts: [{ value: { question: 'Proceed?' } }] }] })).toBe('- Proceed?');
    expect(describeInterrupt({ tasks: [{ name: 'node', call: { name: 'drop_table', args: { t: 'x' } } }] })).toBe('- drop_table {"t":"x"}');
    expect(describeInterrupt(null)).toBe('The expert is waiting for your confirmation.');
    expect(describeInterrupt({ tasks: 'nope' })).toBe('The expert is waiting for your confirmation.');
  });

  it('clips very long arguments', () => {
    const prompt = describeInterrupt({ tasks: [{ interrupts: [{ value: { actionRequests: [{ name: 'w', args: { body: 'x'.repeat(5000) } }] } }] }] });
    expect(prompt.length).toBeLessThan(400);
    expect(prompt.endsWith('…')).toBe(true);
  });

  it('answers every pending HITL action', () => {
    expect(countActionRequests(HITL_OPERATION)).toBe(2);
    expect(buildHitlResume('confirm', undefined, HITL_OPERATION)).toEqual({ decisions: [{ type: 'approve' }, { type: 'approve' }] });
    expect(buildHitlResume('reject', 'not now')).toEqual({ decisions: [{ type: 'reject', message: 'not now' }] });
    expect(buildHitlResume('reject')).toEqual({ decisions: [{ type: 'reject' }] });
  });
});
