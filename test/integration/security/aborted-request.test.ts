import { connect } from 'node:net';
import { startSecurityStack, type SecurityStack } from './security-stack';

/**
 * Door: a client that goes away mid-body. DingTalk's edge, a scanner or a flaky proxy can cut a
 * request after its headers; the server must note that in one line with a code, not a stack trace per
 * request, and must not answer it as a server error.
 */
let stack: SecurityStack;

beforeAll(async () => {
  stack = await startSecurityStack();
});

afterAll(async () => {
  await stack?.close();
});

/** Sends headers promising `length` bytes, half of them, then closes the socket; resolves once closed. */
function abortMidBody(url: string, path: string, length = 4096): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`);
      socket.write(`{"text":{"content":"${'a'.repeat(length / 2)}`, () => socket.destroy());
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

/** Waits until the server has finished with the cut requests (their parser errors are asynchronous). */
async function linesSettled(predicate: () => number, expected: number): Promise<void> {
  for (let i = 0; i < 200 && predicate() < expected; i += 1) await new Promise((r) => setImmediate(r));
  // A few more turns: a second line per request (the fault this test guards against) would land now.
  for (let i = 0; i < 50; i += 1) await new Promise((r) => setImmediate(r));
}

describe('aborted requests', () => {
  it('each aborted request on a plugin route is one warn line with a code, no stack trace, and writes nothing', async () => {
    const before = await stack.rows();
    const start = stack.logger.lines.length;
    const paths = [`/api/dingtalk/webhook/${stack.http.id}`, '/api/dingtalk/action', '/api/dingtalk/test'];
    const rounds = 20;
    for (let i = 0; i < rounds; i += 1) await Promise.all(paths.map((path) => abortMidBody(stack.host.url, path)));
    const fresh = () => stack.logger.lines.slice(start);
    const aborted = () => fresh().filter((line) => line.includes('dingtalk_request_aborted')).length;
    await linesSettled(aborted, rounds * paths.length);

    const lines = fresh();
    expect(lines.filter((line) => line.includes('dingtalk_request_aborted'))).toHaveLength(rounds * paths.length);
    for (const line of lines.filter((l) => l.includes('dingtalk_request_aborted'))) expect(line.startsWith('warn ')).toBe(true);
    // Nothing else about these requests: no error line, no stack frame.
    expect(lines.filter((line) => line.startsWith('error ') || line.startsWith('fatal '))).toEqual([]);
    expect(lines.filter((line) => /\n\s+at /.test(line) || /"stack"/.test(line))).toEqual([]);
    expect(await stack.rows()).toEqual(before);
  });

  it('an aborted request elsewhere on the host is left to the host (the handler is scoped to the plugin paths)', async () => {
    const start = stack.logger.lines.length;
    await abortMidBody(stack.host.url, '/api/not-the-plugin');
    const hostLines = () => stack.logger.lines.slice(start).filter((line) => line.includes('request aborted')).length;
    await linesSettled(hostLines, 1);
    const lines = stack.logger.lines.slice(start);
    expect(lines.some((line) => line.startsWith('error ') && line.includes('request aborted'))).toBe(true);
    expect(lines.some((line) => line.includes('dingtalk_request_aborted'))).toBe(false);
  });

  it('broken JSON on a plugin route is a coded 400, and the server still answers afterwards', async () => {
    const before = await stack.rows();
    const response = await fetch(`${stack.host.url}/api/dingtalk/webhook/${stack.http.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: 400, code: 'dingtalk_request_invalid' });
    expect(await stack.rows()).toEqual(before);
  });

  it('a body in a charset the server cannot read is a coded 415', async () => {
    const response = await fetch(`${stack.host.url}/api/dingtalk/webhook/${stack.http.id}`, { method: 'POST', headers: { 'content-type': 'application/json; charset=klingon' }, body: '{}' });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ code: 'dingtalk_media_type_unsupported' });
  });
});
