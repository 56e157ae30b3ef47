import { threadIdFor, uuidV5 } from '../../../src/runner/thread-id';
import { buildRunStreamBody, buildThreadCreateBody } from '../../../src/runner/xpert-run-request';

const base = { xpertId: 'xp-1', sessionKey: 'int:conv:user', threadId: 'th-1', text: 'Hello' };

describe('run request bodies', () => {
  it('sends a message in the legacy nested shape, with files', () => {
    expect(buildRunStreamBody(base)).toEqual({ assistant_id: 'xp-1', input: { input: { input: 'Hello' } } });
    expect(buildRunStreamBody({ ...base, files: [{ id: 'f1', name: 'a.pdf' }] })).toEqual({
      assistant_id: 'xp-1',
      input: { input: { input: 'Hello', files: [{ id: 'f1', name: 'a.pdf' }] } },
    });
  });

  it('resumes with input.input present and non-empty, confirm flag and command.resume', () => {
    expect(buildRunStreamBody({ ...base, text: '', resume: { decision: 'confirm' } })).toEqual({
      assistant_id: 'xp-1',
      input: { input: { input: 'confirm' }, confirm: true, command: { resume: { decisions: [{ type: 'approve' }] } } },
    });
    expect(buildRunStreamBody({ ...base, text: 'no', resume: { decision: 'reject', message: 'wrong recipient' } })).toEqual({
      assistant_id: 'xp-1',
      input: { input: { input: 'no' }, confirm: false, command: { resume: { decisions: [{ type: 'reject', message: 'wrong recipient' }] } } },
    });
  });

  it('passes an explicit resume payload through untouched', () => {
    const body = buildRunStreamBody({ ...base, resume: { decision: 'confirm', payload: { answer: 42 } } });
    expect(body.input.command).toEqual({ resume: { answer: 42 } });
  });

  it('creates threads with the given id and an optional clipped title', () => {
    expect(buildThreadCreateBody({ threadId: 't' })).toEqual({ thread_id: 't', metadata: {} });
    expect(buildThreadCreateBody({ threadId: 't', title: ` ${'x'.repeat(300)} ` }).metadata.title).toHaveLength(100);
  });
});

describe('thread ids', () => {
  it('implements UUID v5 (RFC 4122 DNS namespace vector)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('is stable per (session, generation) and distinct across generations and sessions', () => {
    const id = threadIdFor('int:conv:user', 1);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(threadIdFor('int:conv:user', 1)).toBe(id);
    expect(threadIdFor('int:conv:user', '1')).toBe(id);
    expect(threadIdFor('int:conv:user', 2)).not.toBe(id);
    expect(threadIdFor('int:conv:other', 1)).not.toBe(id);
  });
});
