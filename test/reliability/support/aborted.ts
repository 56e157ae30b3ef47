import { readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Cluster, Replica } from './cluster';
import { RELIABILITY_HTTP } from './integrations';

/**
 * Requests cut off mid-body, as a flaky proxy or a scanner leaves them: headers promising a body,
 * part of it, then the socket closed. Each must leave one coded line in the replica's log — not a
 * stack trace — and no row.
 */
export interface AbortedFigures {
  sent: number;
  /** Lines naming `dingtalk_request_aborted`, over all replicas. */
  codedLines: number;
  /** Lines of the phase that look like a stack frame or an unhandled-exception report. */
  stackLines: number;
  errorLines: number;
}

const PATHS = [`/api/dingtalk/webhook/${RELIABILITY_HTTP.id}`, '/api/dingtalk/action', '/api/dingtalk/test'];

export async function runAbortedRequests(options: { cluster: Cluster; logDir: string; count: number; concurrency: number; random: () => number }): Promise<AbortedFigures> {
  const replicas = options.cluster.live();
  const offsets = new Map(replicas.map((r) => [r.name, sizeOf(logOf(options.logDir, r))]));
  let next = 0;
  const worker = async () => {
    while (next < options.count) {
      next += 1;
      const replica = replicas[Math.floor(options.random() * replicas.length)];
      const path = PATHS[Math.floor(options.random() * PATHS.length)];
      const length = 256 + Math.floor(options.random() * 8192);
      await abortMidBody(replica.url, path, length, Math.floor(options.random() * length));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const phaseLines = async () => replicas.flatMap((r) => readFrom(logOf(options.logDir, r), offsets.get(r.name) ?? 0).split('\n'));
  // The replicas log asynchronously (their stderr is piped here): wait until every request has its line.
  for (let i = 0; i < 300 && count(await phaseLines(), /dingtalk_request_aborted/) < options.count; i += 1) await new Promise((r) => setTimeout(r, 100));
  const lines = await phaseLines();
  return {
    sent: options.count,
    codedLines: count(lines, /dingtalk_request_aborted/),
    stackLines: count(lines, /^\s+at \S|ExceptionsHandler/),
    errorLines: count(lines, /\bERROR\b/),
  };
}

export function formatAborted(f: AbortedFigures): string {
  return `reliability: aborted requests\n  cut off mid-body           ${f.sent}\n  coded log lines            ${f.codedLines}\n  stack-trace lines          ${f.stackLines}\n  error lines                ${f.errorLines}`;
}

function abortMidBody(url: string, path: string, length: number, sent: number): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`);
      socket.write('x'.repeat(Math.max(1, sent)), () => socket.destroy());
    });
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}

function logOf(dir: string, replica: Replica): string {
  return join(dir, `${replica.name}.log`);
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, offset: number): string {
  return readFileSync(file).subarray(offset).toString('utf8');
}

function count(lines: string[], pattern: RegExp): number {
  return lines.filter((line) => pattern.test(line)).length;
}
