import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps every line at every level, so tests can search what was logged. */
export class CaptureLogger implements LoggerService {
  readonly lines: string[] = [];

  log(...parts: unknown[]) {
    this.keep('log', parts);
  }
  error(...parts: unknown[]) {
    this.keep('error', parts);
  }
  warn(...parts: unknown[]) {
    this.keep('warn', parts);
  }
  debug(...parts: unknown[]) {
    this.keep('debug', parts);
  }
  verbose(...parts: unknown[]) {
    this.keep('verbose', parts);
  }
  fatal(...parts: unknown[]) {
    this.keep('fatal', parts);
  }

  text(): string {
    return this.lines.join('\n');
  }

  private keep(level: string, parts: unknown[]) {
    this.lines.push(`${level} ${parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')}`);
  }
}
