import { bodyFailureOf, bytesNote } from '../../../src/http/body-error';

/** Errors shaped as body-parser / raw-body raise them (`type`, `status`, byte counters). */
const parserError = (type: string, status: number, extra: Record<string, unknown> = {}) => Object.assign(new Error(type), { type, status, statusCode: status, expose: true, ...extra });

describe('bodyFailureOf', () => {
  it('a request the client cut off is aborted: nothing to answer', () => {
    expect(bodyFailureOf(parserError('request.aborted', 400, { code: 'ECONNABORTED' }))).toMatchObject({ code: 'dingtalk_request_aborted', aborted: true });
  });

  it('a body over the host limit is 413, an unknown charset 415, broken JSON 400', () => {
    expect(bodyFailureOf(parserError('entity.too.large', 413))).toMatchObject({ status: 413, code: 'dingtalk_body_too_large', aborted: false });
    expect(bodyFailureOf(parserError('charset.unsupported', 415))).toMatchObject({ status: 415, code: 'dingtalk_media_type_unsupported' });
    expect(bodyFailureOf(parserError('encoding.unsupported', 415))).toMatchObject({ status: 415, code: 'dingtalk_media_type_unsupported' });
    const syntax = Object.assign(new SyntaxError('Unexpected end of JSON input'), { type: 'entity.parse.failed', status: 400 });
    expect(bodyFailureOf(syntax)).toMatchObject({ status: 400, code: 'dingtalk_request_invalid' });
  });

  it('errors that are not the body parser’s are left alone', () => {
    expect(bodyFailureOf(new Error('boom'))).toBeUndefined();
    expect(bodyFailureOf(new SyntaxError('thrown by a route'))).toBeUndefined();
    expect(bodyFailureOf(Object.assign(new Error('x'), { type: 'custom', status: 500 }))).toBeUndefined();
    expect(bodyFailureOf(undefined)).toBeUndefined();
    expect(bodyFailureOf('request.aborted')).toBeUndefined();
  });

  it('notes the byte counters the parser gives, and nothing when it gives none', () => {
    expect(bytesNote({ received: 2068, expected: 4096 })).toBe(' received=2068/4096B');
    expect(bytesNote({ received: 10 })).toBe(' received=10B');
    expect(bytesNote(new Error('x'))).toBe('');
  });
});
