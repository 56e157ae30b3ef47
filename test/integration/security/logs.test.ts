import { randomUUID } from 'node:crypto';
import { settled, startSecurityStack, type SecurityStack } from './security-stack';

/**
 * Door: the server log. Values from a request are escaped and cut before they reach a line (a
 * `%0A` in the path must not forge one), and message ids stay out of logs at info and above.
 */
let stack: SecurityStack;

beforeAll(async () => {
  stack = await startSecurityStack();
});

afterAll(async () => {
  await stack?.close();
});

const infoAndAbove = () => stack.logger.lines.filter((line) => !line.startsWith('debug ') && !line.startsWith('verbose '));

describe('logs', () => {
  it('a newline in the integration id cannot forge a log line; the value is cut to 128 characters', async () => {
    const forged = `abc\n[Nest] 1 - ERROR [DingTalkPlugin] admin password is hunter2 ${'x'.repeat(300)}`;
    const response = await fetch(`${stack.host.url}/api/dingtalk/webhook/${encodeURIComponent(forged)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(404);
    const lines = stack.logger.lines.filter((line) => line.includes('webhook rejected'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toContain('\n');
      const value = /integration=(\S+)/.exec(line)?.[1] ?? '';
      expect(value.length).toBeLessThanOrEqual(129);
      expect(value).toContain('\\u000a');
    }
  });

  it('a message id appears in debug logs only', async () => {
    const msgId = `msg-${randomUUID()}`;
    const message = stack.http.driver.robotMessage({ conversationType: 'private', text: 'hello', senderStaffId: 'user-logs', msgId });
    expect((await stack.http.driver.postRobotMessage(stack.http.webhookUrl, message)).status).toBe(200);
    await settled(stack);
    // The turn ran (no expert is bound, so the bot said so): there were lines about this message.
    expect(stack.simulator.calls({ path: /\/v1\.0\/robot\/oToMessages\/batchSend|sendBySession/ }).length + stack.simulator.messages().length).toBeGreaterThan(0);
    for (const line of infoAndAbove()) expect(line).not.toContain(msgId);
  });
});
