import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DingTalkApiError } from '../../../src/dingtalk/api-error';
import { ERROR_CATALOGUE, DingTalkError, errorSpec, isPermanentError, retriesInCall, adminMessage } from '../../../src/kernel/errors';
import { PermanentJobError } from '../../../src/handoff/job-handler.port';
import { README_PATH, renderErrorTable, withErrorTable } from '../../../sandbox/docs/error-table';

const SRC = join(__dirname, '..', '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const apiError = (code: DingTalkApiError['code'], retryable: boolean) =>
  new DingTalkApiError({ code, message: 'm', platformCode: 'p', httpStatus: 400, retryable });

describe('the error catalogue', () => {
  it('gives every code an HTTP error status and an admin text in English and Chinese', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect([code, entry.status >= 400 && entry.status <= 599]).toEqual([code, true]);
      expect([code, entry.en.length > 10, /[\u4e00-\u9fff]/.test(entry.zh)]).toEqual([code, true, true]);
    }
  });

  it('lists every code thrown in src/ (a code written only as a string would slip past the type)', () => {
    const thrown = new Set<string>();
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:DingTalkError|PermanentJobError|notifyError)\(\s*'([a-z_]+)'/g)) thrown.add(match[1]);
    }
    expect(thrown.size).toBeGreaterThan(40);
    expect([...thrown].filter((code) => !errorSpec(code))).toEqual([]);
  });

  it('takes the default HTTP status of a DingTalkError from the catalogue', () => {
    expect(new DingTalkError('dingtalk_integration_not_found', 'gone').httpStatus).toBe(404);
    expect(new DingTalkError('dingtalk_database_unavailable', 'down').httpStatus).toBe(503);
  });

  it('answers in the admin language', () => {
    expect(adminMessage('dingtalk_permission_missing', 'zh-Hans')).toContain('权限管理');
    expect(adminMessage('dingtalk_permission_missing', 'en')).toContain('Permission management');
  });

  it('classifies failures: permanent, retried by the client, retried by the queue', () => {
    expect(isPermanentError(apiError('dingtalk_permission_missing', false))).toBe(true);
    expect(retriesInCall(apiError('dingtalk_permission_missing', false))).toBe(false);
    expect(isPermanentError(apiError('dingtalk_api_throttled', true))).toBe(false);
    expect(retriesInCall(apiError('dingtalk_api_throttled', true))).toBe(true);
    // A used-up daily quota: throttling that DingTalk itself says no retry fixes.
    expect(isPermanentError(apiError('dingtalk_api_throttled', false))).toBe(true);
    expect(retriesInCall(apiError('dingtalk_api_throttled', false))).toBe(false);
    expect(isPermanentError(new DingTalkError('dingtalk_database_unavailable', 'down'))).toBe(false);
    expect(retriesInCall(new DingTalkError('dingtalk_database_unavailable', 'down'))).toBe(false);
    expect(isPermanentError(new PermanentJobError('dingtalk_job_payload_invalid', 'bad'))).toBe(true);
    // Foreign errors are not called permanent: the queue retries them until the last attempt.
    expect(isPermanentError(new TypeError('x is undefined'))).toBe(false);
    expect(isPermanentError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
  });

  it('is what the README table shows (run `npm run docs:errors` after changing it)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(withErrorTable(readme)).toBe(readme);
    expect(readme).toContain(renderErrorTable());
    expect(renderErrorTable().split('\n')).toHaveLength(Object.keys(ERROR_CATALOGUE).length + 2);
  });
});
